package io.upshift.platform;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The platform descriptor ({@code upshift.yaml}) that each release tag carries: what the release
 * consists of and how to upgrade to it, verify it and protect its data. Schema version 1 is
 * documented in deploy/demo/README.md; {@code x-} keys are extensions Upshift ignores.
 */
public record PlatformDescriptor(
    Integer descriptorVersion,
    Platform platform,
    Compose compose,
    List<Service> services,
    Database database,
    Config config,
    List<HttpExpectation> healthChecks,
    List<SmokeTest> smokeTests,
    List<Invariant> dataInvariants,
    List<String> protectedTables,
    List<IndexRef> requiredIndexes,
    Upgrade upgrade) {

  public record Platform(String name, String version, String summary) {}

  public record Compose(String file, String envFile, String envTemplate) {}

  public record Service(String name, Role role, Integer stopOrder, Integer healthTimeoutSeconds) {}

  public enum Role {
    @JsonProperty("application")
    APPLICATION,
    @JsonProperty("database")
    DATABASE
  }

  public record Database(
      String service,
      String engine,
      String host,
      String defaultName,
      DatabaseVariables variables,
      Migrations migrations,
      String requiredSchemaVersion) {}

  /** Names of the .env variables that hold the connection; credentials never leave the .env. */
  public record DatabaseVariables(String name, String user, String password, String port) {}

  public record Migrations(String tool, String location, String historyTable) {}

  public record Config(List<DeprecatedVariable> deprecated, List<RequiredVariable> newRequired) {}

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
