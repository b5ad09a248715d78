package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.simulate}: the merge as a dry run (in-core three-way merge, nothing written):
 * which files will conflict, which both sides changed, and how the rules classify each conflict.
 * Output {@code simulation}; its step summary is the conflict report.
 */
@Component
public class ForkSimulateWorker {

  static final String JOB_TYPE = "upshift.fork.simulate";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkSimulateWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(MergeSimulator.Report simulation) {}

  @JobWorker(type = JOB_TYPE, timeout = 10 * 60 * 1000)
  public Output simulate(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () ->
            ForkJob.refusals(
                () -> new Output(forks.simulate(vars.requirePreflight(), vars.rules()))),
        out ->
            ForkJob.clip(
                "simulated in " + out.simulation().millis() + " ms: " + out.simulation().text()));
  }
}
