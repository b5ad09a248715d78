package io.upshift.config;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformHooks;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.config.migrate}: after the checkout, migrates the platform's .env to the release
 * now checked out: renames deprecated variables (keeping their values), adds new required ones with
 * their defaults; idempotent. The .env from before the upgrade is kept in the run's backup. Then
 * runs the release's {@code beforeMigrations} hooks ({@link PlatformHooks}; output {@code hooks}).
 */
@Component
public class MigrateConfigWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;
  private final PlatformHooks hooks;

  MigrateConfigWorker(
      PlatformOperations platforms, JobSteps steps, CutoverLog cutover, PlatformHooks hooks) {
    this.hooks = hooks;
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.config.migrate",
      timeout = 20 * 60 * 1000,
      fetchVariables = {"platform", "hop", "plan"})
  public Map<String, Object> migrate(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          cutover.record(target.runId(), target.hop(), CutoverLog.Action.CONFIG, null);
          InstalledPlatform installed = platforms.installed(target.platform());
          String envName =
              installed.descriptor().compose().envFile() == null
                  ? ".env"
                  : installed.descriptor().compose().envFile();
          Path env = installed.registration().workingDirectory().resolve(envName);
          EnvMigration.Result result =
              EnvMigration.rewrite(installed.descriptor(), env, target.runId());
          if (!result.missing().isEmpty()) {
            throw new StepFailure(
                "The .env lacks variables the release requires and has no default for: "
                    + String.join(", ", result.missing()));
          }
          var ran =
              hooks.run(
                  target.platform(),
                  "beforeMigrations",
                  PlatformHooks.previousVersion(
                      job.getVariablesAsMap().get("plan"), target.hop(), installed.registration()));
          return ran.isEmpty()
              ? Map.<String, Object>of("configChanges", result.changes())
              : Map.<String, Object>of("configChanges", result.changes(), "hooks", ran);
        },
        out ->
            "config "
                + out.get("configChanges")
                + (out.containsKey("hooks") ? "; hooks " + out.get("hooks") : ""));
  }
}
