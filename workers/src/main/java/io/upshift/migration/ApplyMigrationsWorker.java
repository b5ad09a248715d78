package io.upshift.migration;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.migration.apply}: Flyway migrate of the platform database with the migrations of
 * the release checked out in its working directory; records what was applied. A failing migration
 * is a hopeless failure naming the script and the database's error.
 */
@Component
public class ApplyMigrationsWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;

  ApplyMigrationsWorker(PlatformOperations platforms, JobSteps steps, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.migration.apply",
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> apply(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          InstalledPlatform installed = platforms.installed(target.platform());
          // Intent first: a migration that fails half way leaves a changed database to restore.
          cutover.record(
              target.runId(), target.hop(), CutoverLog.Action.MIGRATE, installed.databaseName());
          var migrations = installed.database().migrations();
          try {
            FlywayMigrator.Outcome outcome =
                FlywayMigrator.migrate(
                    new FlywayMigrator.Target(
                        installed.jdbcUrl(),
                        installed.databaseUser(),
                        installed.databasePassword(),
                        installed.registration().workingDirectory().resolve(migrations.location()),
                        migrations.historyTable()));
            return Map.<String, Object>of(
                "migrationsApplied",
                outcome.applied(),
                "schemaVersion",
                String.valueOf(outcome.schemaVersion()),
                "migrationMillis",
                outcome.took().toMillis());
          } catch (FlywayMigrator.MigrationFailedException e) {
            throw new StepFailure(e.getMessage(), e);
          }
        },
        out ->
            "applied "
                + out.get("migrationsApplied")
                + ", schema now "
                + out.get("schemaVersion")
                + " ("
                + out.get("migrationMillis")
                + " ms)");
  }
}
