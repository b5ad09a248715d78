package io.upshift.run;

import java.time.Instant;
import java.util.List;

/** A run as the API shows it: state from the journal plus the timeline of steps. */
public record RunView(
    String id,
    String runbook,
    Integer runbookVersion,
    Long processInstanceKey,
    String state,
    String currentElement,
    String incident,
    String outcomeMessage,
    String requestedBy,
    Instant startedAt,
    Instant endedAt,
    List<Step> steps) {

  public record Step(
      String elementId,
      String jobType,
      long jobKey,
      String state,
      String summary,
      Instant startedAt,
      Instant endedAt,
      Long durationMs) {}

  RunView withSteps(List<Step> timeline) {
    return new RunView(
        id,
        runbook,
        runbookVersion,
        processInstanceKey,
        state,
        currentElement,
        incident,
        outcomeMessage,
        requestedBy,
        startedAt,
        endedAt,
        timeline);
  }
}
