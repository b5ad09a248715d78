package io.upshift.rollback;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.rollback.plan}: reads the cutover log and says what the failed hop changed and so
 * what the rollback undoes ({@link RollbackPlan}); the model branches on it.
 */
@Component
public class PlanRollbackWorker {

  /** Output: {@code rollbackPlan}. */
  public record Planned(RollbackPlan rollbackPlan) {}

  private final RollbackService rollback;
  private final JobSteps steps;

  PlanRollbackWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.rollback.plan",
      timeout = 60 * 1000,
      fetchVariables = {"platform", "runId"})
  public Planned plan(ActivatedJob job, @VariablesAsType RollbackInput input) {
    return steps.run(
        job,
        () -> new Planned(rollback.plan(input.platform(), input.runId())),
        out -> out.rollbackPlan().summary());
  }
}
