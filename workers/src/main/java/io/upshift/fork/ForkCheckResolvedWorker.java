package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.check-resolved}: after the manual-conflicts task, refuses completion while
 * any file has conflict markers or unmerged index entries: output {@code manualCheck} with {@code
 * clean} and {@code unresolved} (each file and why), which the model loops back to the task with.
 */
@Component
public class ForkCheckResolvedWorker {

  static final String JOB_TYPE = "upshift.fork.check-resolved";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkCheckResolvedWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.ManualCheck manualCheck) {}

  @JobWorker(type = JOB_TYPE, timeout = 10 * 60 * 1000)
  public Output check(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () ->
            ForkJob.refusals(
                () ->
                    new Output(forks.checkResolved(vars.requirePreflight(), vars.requireMerge()))),
        out ->
            ForkJob.clip(
                out.manualCheck().clean()
                    ? "all manual conflicts resolved"
                    : "refused, still unresolved: " + out.manualCheck().unresolved()));
  }
}
