package io.upshift.git;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.git.checkout}: checks out the hop's release tag (variable {@code hop}) in the
 * platform's working directory with JGit, keeping untracked files such as .env. The release that
 * was there is in the run's backup (its version and config files), which rollback uses.
 */
@Component
public class CheckoutReleaseWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;

  CheckoutReleaseWorker(PlatformOperations platforms, JobSteps steps, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.git.checkout",
      timeout = 10 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> checkout(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          cutover.record(
              target.runId(),
              target.hop(),
              CutoverLog.Action.CHECKOUT,
              platforms.installed(target.platform()).descriptor().platform().version());
          return Map.<String, Object>of(
              "checkedOut",
              Map.of(
                  "version",
                  target.hop(),
                  "commit",
                  platforms.checkout(target.platform(), target.hop())));
        },
        out -> "checked out " + out.get("checkedOut"));
  }
}
