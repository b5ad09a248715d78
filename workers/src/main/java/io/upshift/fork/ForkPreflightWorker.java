package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.preflight}: the fork is ready (clean working tree, origin configured, rules
 * valid), upstream tags fetched, the last base tag found; records the custom commits since it (log
 * and diff stat) as evidence. Output {@code preflight}; refusals are BPMN errors {@code
 * FORK_NOT_READY} and {@code FORK_RULES_INVALID} with {@code failure} saying why.
 */
@Component
public class ForkPreflightWorker {

  static final String JOB_TYPE = "upshift.fork.preflight";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkPreflightWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.Preflight preflight) {}

  @JobWorker(type = JOB_TYPE, timeout = 10 * 60 * 1000)
  public Output preflight(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () -> ForkJob.refusals(() -> new Output(forks.preflight(vars.runId(), vars.request()))),
        out ->
            ForkJob.clip(
                "base "
                    + out.preflight().baseTag()
                    + "; "
                    + out.preflight().customCommits()
                    + " custom commit(s) in "
                    + out.preflight().customFiles()
                    + " file(s) since; "
                    + out.preflight().upstreamCommits()
                    + " upstream commit(s) to "
                    + out.preflight().targetVersion()
                    + "; custom commits: "
                    + out.preflight().customLog()));
  }
}
