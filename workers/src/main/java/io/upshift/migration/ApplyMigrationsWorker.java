package io.upshift.migration;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.migration.apply}: migrates every database of the release checked out in the
 * platform's working directory (or those named by the optional variable {@code migrateDatabases}),
 * each with its own tool, Flyway or the platform's command (see {@link PlatformMigrations}), and
 * enforces each database's {@code requiredSchemaVersion}. Records the intent in the cutover log
 * first, naming the databases. A failing migration is a hopeless failure naming the database, the
 * script or command and the database's error or the command's output.
 */
@Component
public class ApplyMigrationsWorker {

  private final PlatformOperations platforms;
  private final PlatformMigrations migrations;
  private final JobSteps steps;
  private final CutoverLog cutover;

  ApplyMigrationsWorker(
      PlatformOperations platforms,
      PlatformMigrations migrations,
      JobSteps steps,
      CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.migrations = migrations;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.migration.apply",
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "hop", "migrateDatabases"})
  public Map<String, Object> apply(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          InstalledPlatform installed = platforms.installed(target.platform());
          List<String> only = only(job.getVariablesAsMap().get("migrateDatabases"));
          List<String> ids;
          try {
            ids = PlatformMigrations.databases(installed, only).stream().map(d -> d.id()).toList();
          } catch (IllegalArgumentException e) {
            throw new StepFailure("migrateDatabases: " + e.getMessage(), e);
          }
          // Intent first, naming every database about to change: a migration that fails half way
          // leaves changed databases to restore. The v1 detail stays the database name.
          cutover.record(
              target.runId(),
              target.hop(),
              CutoverLog.Action.MIGRATE,
              installed.descriptor().databases().size() == 1
                      && installed.database().publishedOnHost()
                  ? installed.databaseName()
                  : String.join(",", ids));
          try {
            List<DatabaseMigrator.Outcome> outcomes =
                migrations.migrate(installed, target.runId(), only);
            Map<String, Object> out = new LinkedHashMap<>();
            DatabaseMigrator.Outcome first = outcomes.isEmpty() ? null : outcomes.get(0);
            out.put(
                "migrationsApplied", outcomes.stream().flatMap(o -> o.applied().stream()).toList());
            out.put("schemaVersion", first == null ? "" : String.valueOf(first.schemaVersion()));
            out.put(
                "migrationMillis",
                outcomes.stream().mapToLong(DatabaseMigrator.Outcome::millis).sum());
            out.put("migrations", outcomes.stream().map(DatabaseMigrator.Outcome::asMap).toList());
            out.put(
                "migrationSummary",
                outcomes.stream()
                    .map(DatabaseMigrator.Outcome::summary)
                    .collect(Collectors.joining("; ")));
            return out;
          } catch (DatabaseMigrator.MigrationFailedException | CommandMigrator.TimeoutException e) {
            throw new StepFailure(e.getMessage(), e);
          }
        },
        out -> "migrated " + out.get("migrationSummary"));
  }

  private static List<String> only(Object value) {
    if (value == null) {
      return List.of();
    }
    if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
      return list.stream().map(String.class::cast).toList();
    }
    if (value instanceof String s && !s.isBlank()) {
      return List.of(s.split("\\s*,\\s*"));
    }
    throw new StepFailure(
        "migrateDatabases must be a list of database ids (or 'all'), was " + value);
  }
}
