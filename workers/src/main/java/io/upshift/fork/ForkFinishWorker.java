package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.finish}: commits the merge with the seed's message template, records the new
 * test baseline and a CUSTOM_CHANGES.md entry in it, fast-forwards the release branch, tags {@code
 * <prefix>-base-<version>} and pushes branch, tag, backup and upgrade branches to origin.
 */
@Component
public class ForkFinishWorker {

  static final String JOB_TYPE = "upshift.fork.finish";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkFinishWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.Finish finish) {}

  @JobWorker(type = JOB_TYPE, timeout = 30 * 60 * 1000)
  public Output finish(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () ->
            ForkJob.refusals(
                () ->
                    new Output(
                        forks.finish(
                            vars.runId(),
                            vars.requirePreflight(),
                            vars.requireSimulation(),
                            vars.requireMerge(),
                            vars.requireTests(),
                            vars.approvedBy(),
                            vars.approvalComment()))),
        out ->
            ForkJob.clip(
                "committed "
                    + out.finish().commit()
                    + ", tagged "
                    + out.finish().tag()
                    + ", pushed "
                    + out.finish().pushed()));
  }
}
