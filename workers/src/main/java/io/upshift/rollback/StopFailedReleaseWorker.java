package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.stop}: stops the applications of the failed release, first thing, so that
 * it accepts no more writes while the rollback runs.
 */
@Component
public class StopFailedReleaseWorker {

  /** Output: {@code rollbackStopped}: the services stopped. */
  public record Stopped(List<String> rollbackStopped) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  StopFailedReleaseWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.stop",
      timeout = 15 * 60 * 1000,
      fetchVariables = {"platform", "runId"})
  public Stopped stop(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> new Stopped(rollback.stopFailedRelease(input.platform())),
        out -> "stopped " + out.rollbackStopped());
  }
}
