package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.rollback}: after an abort or a failure past the merge, resets the release
 * branch to the backup branch (the same commit id), force-with-lease on origin (only over what this
 * run pushed), deletes the new base tag and, unless {@code keepUpgradeBranch}, the upgrade branch.
 * Output {@code rollback}.
 */
@Component
public class ForkRollbackWorker {

  static final String JOB_TYPE = "upshift.fork.rollback";

  private final ForkRollback rollbacks;
  private final JobSteps steps;

  ForkRollbackWorker(ForkRollback rollbacks, JobSteps steps) {
    this.rollbacks = rollbacks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.Rollback rollback) {}

  @JobWorker(type = JOB_TYPE, timeout = 10 * 60 * 1000)
  public Output rollback(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () ->
            ForkJob.refusals(
                () ->
                    new Output(
                        rollbacks.rollback(
                            vars.requirePreflight(),
                            vars.merge() == null ? null : vars.merge().backupCommit(),
                            Boolean.TRUE.equals(vars.keepUpgradeBranch())))),
        out ->
            ForkJob.clip(
                out.rollback().releaseBranch()
                    + " back on "
                    + out.rollback().commit()
                    + " locally; origin "
                    + out.rollback().remote()
                    + "; base tag "
                    + (out.rollback().tagDeleted() ? "deleted" : "never created")
                    + "; "
                    + out.rollback().upgradeBranch()
                    + (out.rollback().upgradeBranchDeleted() ? " deleted" : " kept")));
  }
}
