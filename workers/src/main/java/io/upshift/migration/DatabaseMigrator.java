package io.upshift.migration;

import com.github.dockerjava.api.DockerClient;
import io.upshift.platform.PlatformConnections;
import io.upshift.platform.PlatformDescriptor;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.api.MigrationVersion;

/**
 * Migrates one database of a platform with its declared tool: Flyway (the release's SQL files) or
 * the platform's own command ({@link CommandMigrator}), then enforces {@code
 * requiredSchemaVersion}. The same code migrates the live database in the cutover and the scratch
 * copy in the rehearsal; only the {@link Target} differs.
 */
public final class DatabaseMigrator {

  private DatabaseMigrator() {}

  /**
   * Where and how to migrate one database.
   *
   * @param jdbcUrl the database as Upshift reaches it (Flyway, version query)
   * @param flywayFolder the release's migrations folder ({@code tool: flyway})
   * @param service the command's service as the target release's compose file defines it ({@code
   *     tool: command})
   * @param network the network the command's container joins
   * @param placeholders the database as seen from that network ({@code migrations.environment})
   * @param containerName name of the one-off container (unique per run and database)
   */
  public record Target(
      PlatformDescriptor.Database database,
      String jdbcUrl,
      String user,
      String password,
      Path flywayFolder,
      ComposeServiceSpec service,
      String network,
      CommandMigrator.Placeholders placeholders,
      String containerName,
      Map<String, String> labels) {}

  /**
   * What one database's migration did.
   *
   * @param applied Flyway: the versions applied; command: empty (the output tail tells)
   * @param exitCode command: its exit code; Flyway: null
   * @param outputTail command: the last 4 KB of its output; Flyway: null
   */
  public record Outcome(
      String database,
      String tool,
      List<String> applied,
      String schemaVersion,
      long millis,
      Long exitCode,
      String outputTail) {

    /** One line for the run journal and the evidence. */
    public String summary() {
      String what =
          "flyway".equals(tool)
              ? (applied.isEmpty() ? "no migrations" : String.join(", ", applied))
              : "command exited " + exitCode;
      return database
          + ": "
          + what
          + ", schema "
          + (schemaVersion == null ? "unknown" : schemaVersion)
          + " in "
          + millis
          + " ms";
    }

    /** As a process variable / evidence entry (no secrets: the tail is redacted). */
    public Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("database", database);
      map.put("tool", tool);
      map.put("applied", applied);
      map.put("schemaVersion", schemaVersion);
      map.put("millis", millis);
      if (exitCode != null) {
        map.put("exitCode", exitCode);
        map.put("outputTail", outputTail);
      }
      return map;
    }
  }

  /** A database's migration failed or left it short of its required schema version. */
  public static class MigrationFailedException extends RuntimeException {
    private final transient Outcome outcome;

    MigrationFailedException(String message, Outcome outcome, Throwable cause) {
      super(message, cause);
      this.outcome = outcome;
    }

    /** What the command did before failing (null for Flyway). */
    public Outcome outcome() {
      return outcome;
    }
  }

  public static Outcome migrate(DockerClient docker, Target target) throws InterruptedException {
    PlatformDescriptor.Database db = target.database();
    PlatformDescriptor.Migrations m = db.migrations();
    String field = "databases[" + db.id() + "].migrations";
    Outcome outcome;
    if (m == null || m.isFlyway() || m.tool() == null) {
      try {
        FlywayMigrator.Outcome flyway =
            FlywayMigrator.migrate(
                new FlywayMigrator.Target(
                    target.jdbcUrl(),
                    target.user(),
                    target.password(),
                    target.flywayFolder(),
                    m == null ? null : m.historyTable()));
        outcome =
            new Outcome(
                db.id(),
                "flyway",
                flyway.applied(),
                flyway.schemaVersion(),
                flyway.took().toMillis(),
                null,
                null);
      } catch (FlywayMigrator.MigrationFailedException e) {
        throw new MigrationFailedException(
            "databases[" + db.id() + "]: " + e.getMessage(), null, e);
      }
    } else if (m.isCommand()) {
      outcome = runCommand(docker, target, m, field, m.command(), "migrate");
      if (outcome.exitCode() != 0) {
        throw new MigrationFailedException(
            "databases["
                + db.id()
                + "]: "
                + String.join(" ", m.command())
                + " exited "
                + outcome.exitCode()
                + " after "
                + outcome.millis()
                + " ms: "
                + lastLines(outcome.outputTail(), 8),
            outcome,
            null);
      }
      outcome =
          new Outcome(
              outcome.database(),
              outcome.tool(),
              outcome.applied(),
              m.versionQuery() == null ? null : versionByQuery(target, m.versionQuery()),
              outcome.millis(),
              outcome.exitCode(),
              outcome.outputTail());
    } else {
      throw new MigrationFailedException(
          field + ".tool: '" + m.tool() + "' is not a migration tool (allowed: flyway, command)",
          null,
          null);
    }
    String required = db.requiredSchemaVersion();
    if (required != null && !satisfies(outcome.schemaVersion(), required)) {
      throw new MigrationFailedException(
          "databases["
              + db.id()
              + "] is at schema version "
              + outcome.schemaVersion()
              + " after migrating, but the release requires "
              + required
              + " (requiredSchemaVersion)",
          outcome,
          null);
    }
    return outcome;
  }

  /**
   * The migrations still pending: Flyway's pending list, or the {@code statusCommand}'s output
   * lines. Empty when the database declares no way to tell.
   */
  public static List<String> pending(DockerClient docker, Target target)
      throws InterruptedException {
    PlatformDescriptor.Migrations m = target.database().migrations();
    if (m == null || m.isFlyway() || m.tool() == null) {
      return FlywayMigrator.pending(
          new FlywayMigrator.Target(
              target.jdbcUrl(),
              target.user(),
              target.password(),
              target.flywayFolder(),
              m == null ? null : m.historyTable()));
    }
    if (m.statusCommand() == null || m.statusCommand().isEmpty()) {
      return List.of();
    }
    Outcome status =
        runCommand(
            docker,
            target,
            m,
            "databases[" + target.database().id() + "].migrations",
            m.statusCommand(),
            "status");
    List<String> lines = new ArrayList<>();
    if (status.exitCode() != 0) {
      lines.add("status command exited " + status.exitCode());
    }
    status.outputTail().lines().filter(l -> !l.isBlank()).limit(50).forEach(lines::add);
    return lines;
  }

  /**
   * Whether a schema version meets the requirement: dotted numbers compare numerically (at least
   * the required one); anything else (an Alembic revision id) must be equal.
   */
  static boolean satisfies(String actual, String required) {
    if (actual == null) {
      return false;
    }
    String a = actual.strip();
    String r = required.strip();
    if (a.matches("\\d+(\\.\\d+)*") && r.matches("\\d+(\\.\\d+)*")) {
      return MigrationVersion.fromVersion(a).compareTo(MigrationVersion.fromVersion(r)) >= 0;
    }
    return a.equals(r);
  }

  /** The command's environment: the service's own, with the migration variables pointed at db. */
  static Map<String, String> commandEnvironment(
      ComposeServiceSpec service,
      Map<String, String> migrationEnvironment,
      CommandMigrator.Placeholders placeholders,
      String field) {
    Map<String, String> environment = new LinkedHashMap<>(service.environment());
    environment.putAll(CommandMigrator.fill(migrationEnvironment, placeholders, field));
    return environment;
  }

  private static Outcome runCommand(
      DockerClient docker,
      Target target,
      PlatformDescriptor.Migrations m,
      String field,
      List<String> command,
      String suffix)
      throws InterruptedException {
    CommandMigrator.Result result =
        CommandMigrator.run(
            docker,
            new CommandMigrator.Run(
                target.containerName() + "-" + suffix,
                target.service().image(),
                target.service().entrypoint(),
                command,
                commandEnvironment(target.service(), m.environment(), target.placeholders(), field),
                target.network(),
                Duration.ofSeconds(m.timeoutOrDefault()),
                target.labels(),
                target.password() == null ? List.of() : List.of(target.password())));
    return new Outcome(
        target.database().id(),
        "command",
        List.of(),
        null,
        result.took().toMillis(),
        result.exitCode(),
        result.outputTail());
  }

  private static String versionByQuery(Target target, String query) {
    try (Connection c =
            PlatformConnections.open(target.jdbcUrl(), target.user(), target.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      throw new MigrationFailedException(
          "databases["
              + target.database().id()
              + "].migrations.versionQuery failed: "
              + e.getMessage(),
          null,
          e);
    }
  }

  private static String lastLines(String text, int n) {
    if (text == null || text.isBlank()) {
      return "(no output)";
    }
    List<String> lines = text.strip().lines().toList();
    return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }
}
