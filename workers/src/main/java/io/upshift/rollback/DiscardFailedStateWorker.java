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

  /** Output: {@code failedStateDropped}. */
  public record Dropped(String failedStateDropped) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  DiscardFailedStateWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.discard",
      timeout = 10 * 60 * 1000,
      fetchVariables = {"platform", "runId", "databaseRestore"})
  public Dropped discard(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () ->
            new Dropped(
                rollback.discardFailedState(
                    input.platform(),
                    input.databaseRestore() == null
                        ? null
                        : input.databaseRestore().failedStateKeptAs())),
        out -> "dropped the failed state " + out.failedStateDropped());
  }
}
