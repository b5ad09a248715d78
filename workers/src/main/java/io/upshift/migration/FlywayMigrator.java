package io.upshift.migration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Runs a release's Flyway SQL migrations against a platform database. Knows nothing about Zeebe:
 * the rehearsal (against a scratch copy) and the cutover (against the real database) both use it.
 */
public final class FlywayMigrator {

  private FlywayMigrator() {}

  /** Where to migrate: a JDBC URL, credentials and the release's migrations folder. */
  public record Target(
      String jdbcUrl, String user, String password, Path migrations, String historyTable) {}

  /**
   * What was applied.
   *
   * @param applied the versions applied by this call, in order
   * @param schemaVersion the schema version afterwards
   */
  public record Outcome(List<String> applied, String schemaVersion, Duration took) {}

  /** Versions (with description) still to apply, in order. */
  public static List<String> pending(Target target) {
    return List.of(flyway(target).info().pending()).stream().map(FlywayMigrator::describe).toList();
  }

  /**
   * Applies the pending migrations. A failing migration throws {@link MigrationFailedException}
   * naming the script and the database's error.
   */
  public static Outcome migrate(Target target) {
    long started = System.nanoTime();
    Flyway flyway = flyway(target);
    try {
      MigrateResult result = flyway.migrate();
      return new Outcome(
          result.migrations.stream().map(m -> m.version + " " + m.description).toList(),
          result.targetSchemaVersion == null ? current(flyway) : result.targetSchemaVersion,
          Duration.ofNanos(System.nanoTime() - started));
    } catch (org.flywaydb.core.api.FlywayException e) {
      throw new MigrationFailedException(
          "Migration of " + target.jdbcUrl() + " failed: " + firstLines(e.getMessage()), e);
    }
  }

  private static String current(Flyway flyway) {
    MigrationInfo current = flyway.info().current();
    return current == null || current.getVersion() == null
        ? null
        : current.getVersion().getVersion();
  }

  private static String describe(MigrationInfo info) {
    return (info.getVersion() == null ? "R" : info.getVersion().getVersion())
        + " "
        + info.getDescription();
  }

  private static Flyway flyway(Target target) {
    return Flyway.configure()
        .dataSource(target.jdbcUrl(), target.user(), target.password())
        .locations("filesystem:" + target.migrations().toAbsolutePath())
        .table(target.historyTable() == null ? "flyway_schema_history" : target.historyTable())
        .connectRetries(3)
        .cleanDisabled(true)
        .load();
  }

  private static String firstLines(String message) {
    if (message == null) {
      return "(no message)";
    }
    String[] lines = message.strip().split("\\R");
    return String.join(" ", java.util.Arrays.copyOf(lines, Math.min(lines.length, 8)))
        .replaceAll("\\s+", " ");
  }

  /** A migration failed; the database rolled back that script (PostgreSQL DDL is transactional). */
  public static class MigrationFailedException extends RuntimeException {
    public MigrationFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
