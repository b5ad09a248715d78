package io.upshift.run;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.Variable;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.metrics.UpshiftMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Component;

/**
 * End execution listener on every end event of a runbook ({@code upshift.run.end}): closes the run
 * in the journal. The model says how the run ended by setting {@code outcome} ({@code completed},
 * {@code failed}, {@code rejected} or {@code expired}; absent means completed) and optionally
 * {@code outcomeMessage} on the path to the end event. Then publishes {@link RunEnded}. Counts the
 * run's outcome and duration once, even when the listener job is redelivered.
 */
@Component
public class RunEndListener {

  static final String JOB_TYPE = "upshift.run.end";
  private static final Logger log = LoggerFactory.getLogger(RunEndListener.class);

  private final RunJournal journal;
  private final Clock clock;
  private final ApplicationEventPublisher events;
  private final UpshiftMetrics metrics;

  RunEndListener(
      RunJournal journal, Clock clock, ApplicationEventPublisher events, UpshiftMetrics metrics) {
    this.journal = journal;
    this.clock = clock;
    this.events = events;
    this.metrics = metrics;
  }

  @JobWorker(type = JOB_TYPE)
  public void runEnded(
      ActivatedJob job,
      @Variable(name = "runId") String runId,
      @Variable(name = "outcome") String outcome,
      @Variable(name = "outcomeMessage") String outcomeMessage) {
    Instant now = clock.instant();
    if (runId == null) {
      log.info("Instance {} ended outside any Upshift run", job.getProcessInstanceKey());
      events.publishEvent(
          new RunEnded(null, job.getProcessInstanceKey(), outcomeOf(null, outcome), now, false));
      return;
    }
    RunState state = outcomeOf(runId, outcome);
    boolean first = journal.ended(runId, state, outcomeMessage, job.getElementId(), now);
    if (first) {
      journal
          .find(runId)
          .ifPresent(
              run ->
                  metrics.runFinished(
                      run.runbook(),
                      state.metricTag(),
                      Duration.between(run.startedAt(), run.endedAt())));
    }
    log.info(
        "Run {} ended {} at {}{}",
        runId,
        state.wire(),
        job.getElementId(),
        outcomeMessage == null ? "" : ": " + outcomeMessage);
    events.publishEvent(new RunEnded(runId, job.getProcessInstanceKey(), state, now, first));
  }

  private static RunState outcomeOf(String runId, String outcome) {
    return outcome == null
        ? RunState.COMPLETED
        : RunState.outcome(outcome)
            .orElseGet(
                () -> {
                  log.warn(
                      "Run {} ended with unknown outcome '{}', recorded as failed", runId, outcome);
                  return RunState.FAILED;
                });
  }
}
