package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.database}: restores the hop's restore point into a new database, checks
 * it, and swaps it in; the failed state is kept aside with what it holds beyond the restore point
 * ({@link DatabaseRestore}). A missing or corrupt backup fails without touching the failed state.
 */
@Component
public class RestoreDatabaseWorker {

  /** Output: {@code databaseRestore}. */
  public record Restored(DatabaseRestore databaseRestore) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  RestoreDatabaseWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.database",
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform", "runId", "rollbackPlan"})
  public Restored restore(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> new Restored(rollback.restoreDatabase(input.platform(), input.runId(), input.plan())),
        out -> out.databaseRestore().sentence());
  }
}
