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
    private final List<String> appliedBefore;

    MigrationFailedException(String message, Outcome outcome, Throwable cause) {
      this(message, outcome, cause, List.of());
    }

    MigrationFailedException(
        String message, Outcome outcome, Throwable cause, List<String> appliedBefore) {
      super(message, cause);
      this.outcome = outcome;
      this.appliedBefore = List.copyOf(appliedBefore);
    }

    /** What the command did before failing (null for Flyway). */
    public Outcome outcome() {
      return outcome;
    }

    /** Flyway: the versions this call applied before the failing one; they stay applied. */
    public List<String> appliedBefore() {
      return appliedBefore;
    }
  }

  /**
   * When a call migrates, relative to the release's downtime (expand/contract; {@code
   * preDeploymentUpTo} and {@code postDeploymentFrom} of a Flyway database).
   */
  public enum Phase {
    /** Every pending migration, as without a split (the rehearsal of a release without one). */
    ALL,
    /** Before the stop, the old release serving: pending versions up to preDeploymentUpTo. */
    PRE_DEPLOYMENT,
    /** In the downtime: every pending version below postDeploymentFrom (all without it). */
    DOWNTIME,
    /** After the new release is started and verified: the rest (from postDeploymentFrom). */
    POST_DEPLOYMENT;

    /**
     * The versions this phase applies for the database's migrations, or empty when the phase has
     * nothing to do for it (no Flyway split declared for a pre or post phase).
     */
    public java.util.Optional<FlywayMigrator.Range> range(PlatformDescriptor.Migrations m) {
      boolean flyway = m == null || m.isFlyway() || m.tool() == null;
      String pre = flyway && m != null ? m.preDeploymentUpTo() : null;
      String post = flyway && m != null ? m.postDeploymentFrom() : null;
      return switch (this) {
        case ALL -> java.util.Optional.of(FlywayMigrator.Range.EVERYTHING);
        case PRE_DEPLOYMENT ->
            pre == null
                ? java.util.Optional.empty()
                : java.util.Optional.of(new FlywayMigrator.Range(pre.strip(), null));
        case DOWNTIME ->
            java.util.Optional.of(
                new FlywayMigrator.Range(null, post == null ? null : post.strip()));
        case POST_DEPLOYMENT ->
            post == null
                ? java.util.Optional.empty()
                : java.util.Optional.of(FlywayMigrator.Range.EVERYTHING);
      };
    }

    /**
     * Whether {@code requiredSchemaVersion} is checked after this phase: after the last phase that
     * runs (post when the database declares one, else the downtime phase; always for ALL).
     */
    public boolean enforcesRequiredVersion(PlatformDescriptor.Migrations m) {
      boolean flyway = m == null || m.isFlyway() || m.tool() == null;
      boolean hasPost = flyway && m != null && m.postDeploymentFrom() != null;
      return switch (this) {
        case ALL -> true;
        case PRE_DEPLOYMENT -> false;
        case DOWNTIME -> !hasPost;
        case POST_DEPLOYMENT -> hasPost;
      };
    }
  }

  public static Outcome migrate(DockerClient docker, Target target) throws InterruptedException {
    return migrate(docker, target, Phase.ALL);
  }

  /**
   * One database migrated phase by phase as the cutover does it: pre-deployment, downtime,
   * post-deployment (a phase the database declares nothing for is an empty outcome).
   */
  public record Phased(Outcome pre, Outcome downtime, Outcome post) {

    /** Every version applied, in order; the last schema version; the downtime's time only. */
    public Outcome combined() {
      List<String> applied = new ArrayList<>(pre.applied());
      applied.addAll(downtime.applied());
      applied.addAll(post.applied());
      String schema =
          post.schemaVersion() != null
              ? post.schemaVersion()
              : downtime.schemaVersion() != null ? downtime.schemaVersion() : pre.schemaVersion();
      return new Outcome(
          downtime.database(),
          downtime.tool(),
          applied,
          schema,
          downtime.millis(),
          downtime.exitCode(),
          downtime.outputTail());
    }

    /** Per phase: versions applied and milliseconds, for the evidence. */
    public Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("preDeployment", Map.of("applied", pre.applied(), "millis", pre.millis()));
      map.put("downtime", Map.of("applied", downtime.applied(), "millis", downtime.millis()));
      map.put("postDeployment", Map.of("applied", post.applied(), "millis", post.millis()));
      return map;
    }
  }

  /** Migrates in the cutover's order and times each phase on its own (the rehearsal). */
  public static Phased migrateInPhases(DockerClient docker, Target target)
      throws InterruptedException {
    Outcome pre = migrate(docker, target, Phase.PRE_DEPLOYMENT);
    Outcome downtime = migrate(docker, target, Phase.DOWNTIME);
    Outcome post = migrate(docker, target, Phase.POST_DEPLOYMENT);
    return new Phased(pre, downtime, post);
  }

  /**
   * Migrates one database in one phase. A pre or post phase the database declares nothing for does
   * nothing (no connection): its outcome has no versions applied and no schema version.
   */
  public static Outcome migrate(DockerClient docker, Target target, Phase phase)
      throws InterruptedException {
    PlatformDescriptor.Database db = target.database();
    PlatformDescriptor.Migrations m = db.migrations();
    String field = "databases[" + db.id() + "].migrations";
    java.util.Optional<FlywayMigrator.Range> range = phase.range(m);
    if (range.isEmpty()) {
      return new Outcome(
          db.id(),
          m == null || m.tool() == null ? "flyway" : m.tool(),
          List.of(),
          null,
          0,
          null,
          null);
    }
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
                    m == null ? null : m.historyTable()),
                range.get());
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
            "databases[" + db.id() + "]: " + e.getMessage(), null, e, e.appliedBefore());
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
    if (required != null
        && phase.enforcesRequiredVersion(m)
        && !satisfies(outcome.schemaVersion(), required)) {
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
