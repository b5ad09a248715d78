package io.upshift.run;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.Variable;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.metrics.UpshiftMetrics;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * End execution listener on every end event of a runbook ({@code upshift.run.end}): closes the run
 * in the journal. The model says how the run ended by setting {@code outcome} ({@code completed} or
 * {@code failed}; absent means completed) and optionally {@code outcomeMessage} on the path to the
 * end event. Counts the run's outcome and duration once, even when the listener job is redelivered.
 */
@Component
public class RunEndListener {

  static final String JOB_TYPE = "upshift.run.end";
  private static final Logger log = LoggerFactory.getLogger(RunEndListener.class);

  private final RunJournal journal;
  private final Clock clock;
  private final UpshiftMetrics metrics;

  RunEndListener(RunJournal journal, Clock clock, UpshiftMetrics metrics) {
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
  }

  @JobWorker(type = JOB_TYPE)
  public void runEnded(
      ActivatedJob job,
      @Variable(name = "runId") String runId,
      @Variable(name = "outcome") String outcome,
      @Variable(name = "outcomeMessage") String outcomeMessage) {
    if (runId == null) {
      log.info("Instance {} ended outside any Upshift run", job.getProcessInstanceKey());
      return;
    }
    RunState state =
        outcome == null
            ? RunState.COMPLETED
            : RunState.outcome(outcome)
                .orElseGet(
                    () -> {
                      log.warn(
                          "Run {} ended with unknown outcome '{}', recorded as failed",
                          runId,
                          outcome);
                      return RunState.FAILED;
                    });
    if (journal.ended(runId, state, outcomeMessage, job.getElementId(), clock.instant())) {
      journal
          .find(runId)
          .ifPresent(
              run ->
                  metrics.runFinished(
                      run.runbook(),
                      state.wire(),
                      Duration.between(run.startedAt(), run.endedAt())));
    }
    log.info(
        "Run {} ended {} at {}{}",
        runId,
        state.wire(),
        job.getElementId(),
        outcomeMessage == null ? "" : ": " + outcomeMessage);
  }
}
