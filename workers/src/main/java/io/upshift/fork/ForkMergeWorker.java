package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.merge}: creates and pushes the backup branch, creates the upgrade branch,
 * merges the target tag with --no-commit --no-ff and resolves the conflicts the rules decide
 * (accept-upstream: their version, keep-ours: ours), recording each decision. Output {@code merge}
 * with the files left for a person.
 */
@Component
public class ForkMergeWorker {

  static final String JOB_TYPE = "upshift.fork.merge";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkMergeWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.Merge merge) {}

  @JobWorker(type = JOB_TYPE, timeout = 30 * 60 * 1000)
  public Output merge(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () ->
            ForkJob.refusals(
                () ->
                    new Output(
                        forks.merge(
                            vars.requirePreflight(),
                            vars.rules(),
                            vars.simulation() == null
                                ? java.util.List.of()
                                : vars.simulation().conflicts().stream()
                                    .map(UpgradeRules.Classification::path)
                                    .toList()))),
        out ->
            ForkJob.clip(
                out.merge().conflicts().size()
                    + " conflict(s), "
                    + (out.merge().asSimulated()
                        ? "as simulated"
                        : "NOT as simulated: " + out.merge().differences())
                    + "; backup "
                    + out.merge().backupBranch()
                    + " pushed; resolved by rules: "
                    + out.merge().resolved().stream()
                        .map(c -> c.path() + " " + c.decision())
                        .toList()
                    + "; manual: "
                    + out.merge().manual().stream()
                        .map(c -> c.path() + " <- " + c.rule())
                        .toList()));
  }
}
