package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.discard}: drops the failed state that the rollback kept aside, once the
 * review decided so. Never the platform's own database.
 */
@Component
public class DiscardFailedStateWorker {

  /** Output: {@code failedStateDropped}, and {@code outcomeMessage} saying so. */
  public record Dropped(String failedStateDropped, String outcomeMessage) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  DiscardFailedStateWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.discard",
      timeout = 10 * 60 * 1000,
      fetchVariables = {"platform", "runId", "databaseRestore", "dataRestore", "outcomeMessage"})
  public Dropped discard(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> {
          DataRestore data = input.data();
          if (data == null) {
            throw new io.upshift.run.StepFailure(
                "Nothing to drop: the variables dataRestore and databaseRestore are not set");
          }
          String dropped = String.join(", ", rollback.discardFailedState(input.platform(), data));
          return new Dropped(
              dropped,
              input.outcomeMessage()
                  + " The review then dropped the failed state "
                  + dropped
                  + ".");
        },
        out -> "dropped the failed state " + out.failedStateDropped());
  }
}
