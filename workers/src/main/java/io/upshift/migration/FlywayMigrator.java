package io.upshift.migration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
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
   * Which pending versions one call applies: those up to and including {@code upTo} and below
   * {@code below} (either null: unbounded). {@link #EVERYTHING} is every pending migration.
   */
  public record Range(String upTo, String below) {
    public static final Range EVERYTHING = new Range(null, null);

    public boolean contains(MigrationVersion version) {
      return (upTo == null || version.compareTo(MigrationVersion.fromVersion(upTo)) <= 0)
          && (below == null || version.compareTo(MigrationVersion.fromVersion(below)) < 0);
    }
  }

  /**
   * Applies the pending migrations. A failing migration throws {@link MigrationFailedException}
   * naming the script and the database's error.
   */
  public static Outcome migrate(Target target) {
    return migrate(target, Range.EVERYTHING);
  }

  /**
   * Applies the pending versioned migrations in {@code range} (Flyway's {@code target} set to the
   * highest of them); nothing, without touching the history, when none is pending there. A failing
   * migration throws {@link MigrationFailedException} naming the script, the database's error and
   * the versions this call applied before it (each migration is its own transaction: those stay).
   */
  public static Outcome migrate(Target target, Range range) {
    long started = System.nanoTime();
    Flyway flyway = flyway(target);
    MigrationVersion highest = null;
    if (!range.equals(Range.EVERYTHING)) {
      for (MigrationInfo info : flyway.info().pending()) {
        if (info.getVersion() != null && range.contains(info.getVersion())) {
          highest = info.getVersion();
        }
      }
      if (highest == null) {
        return new Outcome(
            List.of(), current(flyway), Duration.ofNanos(System.nanoTime() - started));
      }
      flyway = flyway(target, highest);
    }
    int appliedBefore = flyway.info().applied().length;
    try {
      MigrateResult result = flyway.migrate();
      return new Outcome(
          result.migrations.stream().map(m -> m.version + " " + m.description).toList(),
          highest != null || result.targetSchemaVersion == null
              ? current(flyway)
              : result.targetSchemaVersion,
          Duration.ofNanos(System.nanoTime() - started));
    } catch (org.flywaydb.core.api.FlywayException e) {
      List<String> kept = List.of();
      try {
        MigrationInfo[] applied = flyway.info().applied();
        kept =
            java.util.Arrays.stream(
                    applied, Math.min(appliedBefore, applied.length), applied.length)
                .filter(i -> i.getState().isApplied() && !i.getState().isFailed())
                .map(FlywayMigrator::describe)
                .toList();
      } catch (RuntimeException ignored) {
        // the database went away: the message says what failed
      }
      throw new MigrationFailedException(
          "Migration of " + target.jdbcUrl() + " failed: " + firstLines(e.getMessage()), e, kept);
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
    return flyway(target, null);
  }

  private static Flyway flyway(Target target, MigrationVersion upTo) {
    var config =
        Flyway.configure()
            .dataSource(target.jdbcUrl(), target.user(), target.password())
            .locations("filesystem:" + target.migrations().toAbsolutePath())
            .table(target.historyTable() == null ? "flyway_schema_history" : target.historyTable())
            .connectRetries(3)
            .cleanDisabled(true);
    if (upTo != null) {
      config = config.target(upTo);
    }
    return config.load();
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
    private final List<String> appliedBefore;

    public MigrationFailedException(String message, Throwable cause) {
      this(message, cause, List.of());
    }

    MigrationFailedException(String message, Throwable cause, List<String> appliedBefore) {
      super(message, cause);
      this.appliedBefore = List.copyOf(appliedBefore);
    }

    /** The versions the failed call applied before the failing one; they stay applied. */
    public List<String> appliedBefore() {
      return appliedBefore;
    }
  }
}
