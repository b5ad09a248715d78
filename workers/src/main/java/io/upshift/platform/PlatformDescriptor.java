package io.upshift.platform;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The platform descriptor ({@code upshift.yaml}): what one release consists of and how to upgrade
 * to it, verify it and protect its data. docs/descriptor.md is the reference of both schema
 * versions: 1 (one database reached over a published port) and 2 (several databases reached through
 * their containers, volumes, stages, hooks, manual steps). One record holds both; {@link
 * DescriptorReader} rejects the keys of the other version, and {@link #databases()} gives every
 * consumer the version-2 view. {@code x-} keys are extensions Upshift ignores.
 */
public record PlatformDescriptor(
    Integer descriptorVersion,
    Platform platform,
    Compose compose,
    List<Service> services,
    Database database,
    List<Database> databases,
    List<Volume> volumes,
    Config config,
    List<Stage> stages,
    List<Hook> hooks,
    List<ManualStep> manualSteps,
    VersionRecord versionRecord,
    List<HttpExpectation> healthChecks,
    List<SmokeTest> smokeTests,
    List<Invariant> dataInvariants,
    List<String> protectedTables,
    List<IndexRef> requiredIndexes,
    Upgrade upgrade) {

  /** The id version 1's single database gets in {@link #databases()}. */
  public static final String V1_DATABASE_ID = "main";

  /**
   * @param releaseNotes file in the release shown to the approver (default {@code
   *     RELEASE_NOTES.md}; version 2)
   */
  public record Platform(String name, String version, String summary, String releaseNotes) {

    public String releaseNotesFile() {
      return releaseNotes == null || releaseNotes.isBlank() ? "RELEASE_NOTES.md" : releaseNotes;
    }
  }

  public record Compose(String file, String envFile, String envTemplate) {}

  /**
   * @param stopGraceSeconds how long a stop waits before killing (version 2; default: the compose
   *     file's {@code stop_grace_period}, else 10 s)
   * @param started what "started" means for this service (version 2)
   */
  public record Service(
      String name,
      Role role,
      Integer stopOrder,
      Integer healthTimeoutSeconds,
      Integer stopGraceSeconds,
      Started started) {}

  /**
   * One of: {@code health} (an HTTP URL answering 2xx; {@code ${VAR}} from .env), {@code logLine}
   * (a regular expression in the container's log since it started), {@code runningSeconds}
   * (running, not restarting, that long). None: Docker's healthcheck if the service has one, else
   * running for 5 s.
   */
  public record Started(
      String health, String logLine, Integer runningSeconds, Integer timeoutSeconds) {}

  public enum Role {
    @JsonProperty("application")
    APPLICATION,
    @JsonProperty("database")
    DATABASE
  }

  /**
   * A database of the platform. Version 1 uses {@code host}, {@code defaultName} and {@code
   * variables} (names of .env variables, reached over a port published to the host) and keeps its
   * checks at the top level; version 2 uses {@code id}, {@code name}, {@code user}, {@code
   * password}, {@code port} (literals or .env references, reached through the database's container)
   * and keeps its checks here.
   */
  public record Database(
      String id,
      String service,
      String engine,
      String host,
      String defaultName,
      DatabaseVariables variables,
      ValueRef name,
      ValueRef user,
      ValueRef password,
      ValueRef port,
      Migrations migrations,
      String requiredSchemaVersion,
      List<Invariant> dataInvariants,
      List<String> protectedTables,
      List<IndexRef> requiredIndexes) {

    /** Version 1: reached over a port published to the host, named by .env variables. */
    public boolean publishedOnHost() {
      return variables != null;
    }

    /** The database name: a literal, or read from the platform's .env. */
    public String resolveName(EnvFile env) {
      if (variables != null) {
        return env.require(variables.name());
      }
      return name.resolve(env, "databases[" + id + "].name");
    }

    /** The user: a literal, a .env reference, or {@code postgres}. */
    public String resolveUser(EnvFile env) {
      if (variables != null) {
        return env.require(variables.user());
      }
      return user == null ? "postgres" : user.resolve(env, "databases[" + id + "].user");
    }

    /** The password from .env, or null when the database declares none. */
    public String resolvePassword(EnvFile env) {
      if (variables != null) {
        return env.require(variables.password());
      }
      return password == null ? null : password.resolve(env, "databases[" + id + "].password");
    }

    /** Version 1: the port published on the host; version 2: the container port (5432). */
    public int resolvePort(EnvFile env) {
      String value =
          variables != null
              ? env.require(variables.port())
              : port == null ? "5432" : port.resolve(env, "databases[" + id + "].port");
      try {
        return Integer.parseInt(value.trim());
      } catch (NumberFormatException e) {
        throw new DescriptorException(
            "databases[" + id + "].port: '" + value + "' is not a port number (1-65535)");
      }
    }
  }

  /** Version 1: names of the .env variables that hold the connection. */
  public record DatabaseVariables(String name, String user, String password, String port) {}

  /**
   * How a database's schema is migrated.
   *
   * @param tool {@code flyway} (SQL files at {@code location} in the release) or {@code command}
   *     (the platform's own tool run in a one-off container of {@code service}'s target image)
   * @param environment variables pointing the command's service at a database; {@code {host}},
   *     {@code {port}}, {@code {name}}, {@code {user}}, {@code {password}} are filled in
   * @param versionQuery SQL whose first column of the first row is the schema version (command)
   * @param preDeploymentUpTo Flyway only: pending versions up to and including this one run before
   *     the stop, while the old release still serves (expand; must be backward compatible)
   * @param postDeploymentFrom Flyway only: pending versions from this one on run after the new
   *     release is started and verified (contract); everything between runs in the downtime
   */
  public record Migrations(
      String tool,
      String location,
      String historyTable,
      String service,
      List<String> command,
      List<String> statusCommand,
      Map<String, String> environment,
      String versionQuery,
      Integer timeoutSeconds,
      String preDeploymentUpTo,
      String postDeploymentFrom) {

    /** Whether the release splits its migrations around the downtime (expand/contract). */
    public boolean splitsAroundDowntime() {
      return preDeploymentUpTo != null || postDeploymentFrom != null;
    }

    public boolean isFlyway() {
      return "flyway".equals(tool);
    }

    public boolean isCommand() {
      return "command".equals(tool);
    }

    public int timeoutOrDefault() {
      return timeoutSeconds == null ? 600 : timeoutSeconds;
    }
  }

  /**
   * A volume of files: a named volume of the compose file ({@code name}) or a bind-mounted
   * directory relative to the platform directory ({@code path}).
   *
   * @param policy {@code stopped} (default: saved after the stop), {@code live} (saved while the
   *     platform serves) or {@code skip} (never saved; {@code reason} required)
   */
  public record Volume(String name, String path, String policy, String reason) {

    public String policyOrDefault() {
      return policy == null ? "stopped" : policy;
    }

    /** A stable label: the volume's name or its path. */
    public String label() {
      return name != null ? name : path;
    }
  }

  /**
   * @param files configuration files and directories beyond .env, relative to the platform
   *     directory, saved and restored (version 2)
   */
  public record Config(
      List<DeprecatedVariable> deprecated,
      List<RequiredVariable> newRequired,
      List<String> files) {}

  /**
   * One step of the cutover's order: {@code stop} or {@code start} ({@code all}, {@code rest} or
   * service names), or {@code migrate} ({@code all} or database ids); {@code waitStarted} waits for
   * the started services before the next stage.
   */
  public record Stage(Object stop, Object migrate, Object start, Boolean waitStarted) {}

  /**
   * A command run in a running service's container at a point of the cutover.
   *
   * @param at {@code beforeMigrations}, {@code afterMigrations} or {@code afterStart}
   * @param command argument array; {@code {previousVersion}} and {@code {version}} are filled in
   */
  public record Hook(String at, String service, List<String> command, Integer timeoutSeconds) {}

  /** A step a person does during the cutover; the run waits for it. */
  public record ManualStep(String id, String at, String text) {}

  /** Where Upshift records the installed version (default: schema {@code upshift}). */
  public record VersionRecord(String database, String schema, String table) {}

  public record DeprecatedVariable(String name, String replacedBy, String since) {}

  public record RequiredVariable(
      String name, @JsonProperty("default") String defaultValue, String description) {}

  public record HttpExpectation(
      String name, String url, Integer expectStatus, Integer timeoutSeconds) {}

  public record SmokeTest(
      String name,
      String method,
      String url,
      Map<String, String> headers,
      String body,
      Integer expectStatus,
      Map<String, Object> expectJson) {}

  public record Invariant(String name, String description, String sql) {}

  public record IndexRef(String table, String name) {}

  /**
   * @param from versions that may upgrade directly to this release (patterns); refines the policy
   * @param policy the platform's upgrade rules, declared once (see {@link UpgradePolicy})
   */
  public record Upgrade(List<String> from, Policy policy) {}

  /** {@code upgrade.policy}: raw values, validated and interpreted by {@link UpgradePolicy}. */
  public record Policy(
      String line,
      String withinLine,
      String leaveLine,
      Boolean skipLines,
      List<String> steppingStones) {}

  /**
   * The platform's databases, version 2's view: version 1's single database becomes one entry with
   * id {@value #V1_DATABASE_ID} carrying the top-level checks.
   */
  public List<Database> databases() {
    if (databases != null) {
      return databases;
    }
    if (database == null) {
      return List.of();
    }
    Database d = database;
    return List.of(
        new Database(
            V1_DATABASE_ID,
            d.service(),
            d.engine(),
            d.host(),
            d.defaultName(),
            d.variables(),
            null,
            null,
            null,
            null,
            d.migrations(),
            d.requiredSchemaVersion(),
            dataInvariants,
            protectedTables,
            requiredIndexes));
  }

  /** The database with this id. */
  public java.util.Optional<Database> database(String id) {
    return databases().stream().filter(d -> d.id().equals(id)).findFirst();
  }

  public List<Volume> volumes() {
    return volumes == null ? List.of() : volumes;
  }

  public List<Hook> hooks() {
    return hooks == null ? List.of() : hooks;
  }

  public List<ManualStep> manualSteps() {
    return manualSteps == null ? List.of() : manualSteps;
  }

  /** Configuration files and directories beyond .env. */
  public List<String> configFiles() {
    return config == null || config.files() == null ? List.of() : config.files();
  }

  public Version version() {
    return Version.parse(platform.version());
  }

  /** Application services in the order they are stopped (workloads first). */
  public List<Service> applicationStopOrder() {
    return services.stream()
        .filter(s -> s.role() == Role.APPLICATION)
        .sorted(java.util.Comparator.comparingInt(Service::stopOrder))
        .toList();
  }

  /** Whether a platform at {@code from} may upgrade directly to this release. */
  public boolean acceptsUpgradeFrom(Version from) {
    if (upgrade != null && upgrade.from() == null && upgrade.policy() != null) {
      return true; // the policy alone decides
    }
    return upgrade != null
        && upgrade.from() != null
        && upgrade.from().stream().anyMatch(from::matches);
  }

  /** The declared upgrade policy, or {@link UpgradePolicy#NONE} (only {@code upgrade.from}). */
  public UpgradePolicy upgradePolicy() {
    return upgrade == null || upgrade.policy() == null
        ? UpgradePolicy.NONE
        : UpgradePolicy.of(upgrade.policy());
  }
}
