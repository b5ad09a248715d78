package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.files}: checks out the release from before the hop and puts back the
 * configuration files its restore point saved.
 */
@Component
public class RestoreFilesWorker {

  /** Output: {@code filesRestored}. */
  public record Restored(List<String> filesRestored) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  RestoreFilesWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.files",
      timeout = 10 * 60 * 1000,
      fetchVariables = {"platform", "runId", "rollbackPlan"})
  public Restored restore(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> new Restored(rollback.restoreFiles(input.platform(), input.plan())),
        out -> "put back " + out.filesRestored());
  }
}
