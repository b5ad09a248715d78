package io.upshift.plan;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.platform.PlatformDescriptor;
import java.util.List;

/**
 * What an upgrade will do, as shown for approval and re-checked before the cutover. Everything that
 * would change the outcome is in here, so its hash binds an approval to it.
 */
public record UpgradePlan(
    String platform,
    String repository,
    String fromVersion,
    String toVersion,
    List<PlannedHop> hops) {

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The plan as a later step reads it back from the {@code plan} process variable. */
  public static UpgradePlan fromVariable(Object variable) {
    return JSON.convertValue(variable, UpgradePlan.class);
  }

  /**
   * One hop of the path: the release to check out and what it brings.
   *
   * @param started per service, what "started" means at this release ({@code name: rule})
   * @param undeclaredVariables configuration drift: variables of the release's {@code .env}
   *     template that the platform's .env lacks and no descriptor declares
   * @param releaseNotes the release's notes file ({@code platform.releaseNotes}), shortened with a
   *     note when long; null when the release has none
   * @param manualSteps the release's {@code manualSteps}, in order (an empty list when none)
   */
  public record PlannedHop(
      String from,
      String to,
      String commit,
      List<String> images,
      List<PlannedMigration> migrations,
      List<String> newVariables,
      List<String> renamedVariables,
      List<String> started,
      List<PlannedVariable> undeclaredVariables,
      String releaseNotes,
      List<PlannedManualStep> manualSteps) {}

  /**
   * A step a person does during the hop's cutover, at its point ({@code at}); the runbook creates
   * an inbox task from it and waits.
   */
  public record PlannedManualStep(String id, String at, String text) {}

  /**
   * A variable of a release's {@code .env} template that the platform's .env lacks.
   *
   * @param required whether the run must stop until it is set (no default in the template, or
   *     {@code ${NAME:?}} in the compose file)
   */
  public record PlannedVariable(String name, boolean required, String reason) {}

  /**
   * A migration script the hop applies, with the SHA-256 of its content and when it runs: {@code
   * pre-deployment} (before the stop, the old release serving), {@code downtime} or {@code
   * post-deployment} (after the new release is started and verified).
   */
  public record PlannedMigration(String script, String sha256, String phase) {

    public static final String PRE_DEPLOYMENT = "pre-deployment";
    public static final String DOWNTIME = "downtime";
    public static final String POST_DEPLOYMENT = "post-deployment";

    /** The Flyway version of a script {@code V<version>__<description>.sql}, or null. */
    static org.flywaydb.core.api.MigrationVersion version(String script) {
      java.util.regex.Matcher v =
          java.util.regex.Pattern.compile("(?:^|/)V([0-9]+(?:[._][0-9]+)*)__[^/]*$")
              .matcher(script);
      return v.find()
          ? org.flywaydb.core.api.MigrationVersion.fromVersion(v.group(1).replace('_', '.'))
          : null;
    }

    /** The phase of a Flyway script ({@code V<version>__<description>.sql}) under these bounds. */
    static String phaseOf(String script, PlatformDescriptor.Migrations m) {
      if (m == null || !m.isFlyway() || !m.splitsAroundDowntime()) {
        return DOWNTIME;
      }
      org.flywaydb.core.api.MigrationVersion version = version(script);
      if (version == null) {
        return DOWNTIME; // repeatable or not a migration: runs with the last phase Flyway runs
      }
      if (m.preDeploymentUpTo() != null
          && version.compareTo(
                  org.flywaydb.core.api.MigrationVersion.fromVersion(m.preDeploymentUpTo().strip()))
              <= 0) {
        return PRE_DEPLOYMENT;
      }
      if (m.postDeploymentFrom() != null
          && version.compareTo(
                  org.flywaydb.core.api.MigrationVersion.fromVersion(
                      m.postDeploymentFrom().strip()))
              >= 0) {
        return POST_DEPLOYMENT;
      }
      return DOWNTIME;
    }
  }
}
