package io.upshift.run;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;

/** A run as the API shows it: state from the journal plus the timeline of steps. */
public record RunView(
    String id,
    String runbook,
    Integer runbookVersion,
    Long processInstanceKey,
    @Schema(
            description =
                "Where the run stands (RunState): active; how it ended: completed, failed,"
                    + " rolled-back, rejected, expired, cancelled (by an operator, before the"
                    + " cutover); interrupted (lost in a restart of the embedded engine, still"
                    + " holds its platform); abandoned (an interrupted run an operator released)",
            allowableValues = {
              "active",
              "completed",
              "failed",
              "rolled-back",
              "rejected",
              "expired",
              "cancelled",
              "interrupted",
              "abandoned"
            })
        String state,
    String currentElement,
    String incident,
    @Schema(
            description =
                "What the active run waits for besides its steps, e.g. a failure decision: the"
                    + " task, the failed step, its error and the allowed choices; null otherwise")
        String waitingFor,
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
        waitingFor,
        outcomeMessage,
        requestedBy,
        startedAt,
        endedAt,
        timeline);
  }
}
