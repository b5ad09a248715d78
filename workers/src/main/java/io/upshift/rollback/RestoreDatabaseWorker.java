package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.database}: puts every database and every saved volume back to the hop's
 * one restore point. Each database is restored into a new database, checked, and swapped in; each
 * volume is cleared and extracted from its archive, and checked; every failed state is kept aside
 * with what it holds beyond the restore point ({@link DataRestore}). A missing or corrupt backup
 * fails without touching the failed state.
 */
@Component
public class RestoreDatabaseWorker {

  /**
   * Output: {@code dataRestore} (every database and volume) and {@code databaseRestore} (the first
   * database, as version 1 runs and the console read it).
   */
  public record Restored(DataRestore dataRestore, DatabaseRestore databaseRestore) {}

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
        () -> {
          DataRestore data = rollback.restoreData(input.platform(), input.runId(), input.plan());
          return new Restored(data, data.databases().get(0));
        },
        out -> out.dataRestore().sentence());
  }
}
