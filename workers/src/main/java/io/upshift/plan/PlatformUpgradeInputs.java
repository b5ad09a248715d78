package io.upshift.plan;

import io.upshift.platform.DescriptorException;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Release;
import io.upshift.platform.Version;
import io.upshift.run.FieldError;
import io.upshift.run.RunbookInputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Start variables of {@code platform-upgrade}: a registered platform and a target version that is
 * one of its releases (read from its repository's tags, one fetch), with the right types. The
 * platform is also the run's lock: one upgrade per platform.
 */
@Component
class PlatformUpgradeInputs implements RunbookInputValidator {

  private final PlatformRegistry registry;
  private final UpgradePlanner planner;

  PlatformUpgradeInputs(PlatformRegistry registry, UpgradePlanner planner) {
    this.registry = registry;
    this.planner = planner;
  }

  @Override
  public Optional<String> platform(Map<String, Object> variables) {
    return variables.get("platform") instanceof String name ? Optional.of(name) : Optional.empty();
  }

  @Override
  public String runbook() {
    return "platform-upgrade";
  }

  @Override
  public List<FieldError> validate(Map<String, Object> variables) {
    List<FieldError> errors = new ArrayList<>();
    Object platform = variables.get("platform");
    boolean registered = platform instanceof String name && registry.find(name).isPresent();
    if (!registered) {
      errors.add(
          new FieldError(
              "platform",
              (platform == null || platform instanceof String
                      ? "must be a registered platform: "
                      : "must be a string naming a registered platform: ")
                  + registry.names()));
    }
    Object target = variables.get("targetVersion");
    if (!(target instanceof String version) || !Version.isVersion(version)) {
      errors.add(
          new FieldError(
              "targetVersion",
              (target != null && !(target instanceof String) ? "must be a string; " : "")
                  + "is required: a release version like 1.2.0 or 1.2.0-label"));
    } else if (registered) {
      releaseError((String) platform, version).ifPresent(errors::add);
    }
    Object stones = variables.get("allowSteppingStones");
    if (stones != null && !(stones instanceof Boolean)) {
      errors.add(new FieldError("allowSteppingStones", "must be true or false"));
    }
    Object staging = variables.get("staging");
    if (staging != null && !(staging instanceof Boolean)) {
      errors.add(
          new FieldError(
              "staging",
              "must be true or false (false skips staging the release on the rehearsal's copy)"));
    }
    for (String name :
        List.of(
            "approvalTimeout",
            "reminderAfter",
            "signOffWindow",
            "failureDecisionTimeout",
            "postDeploymentDecisionTimeout")) {
      Object value = variables.get(name);
      if (value != null && !validDuration(value)) {
        errors.add(
            new FieldError(
                name, "must be an ISO-8601 duration from PT1S to P30D, e.g. P3D or PT4H"));
      }
    }
    return errors;
  }

  /** Refuses a target that is no release of the platform, listing the releases there are. */
  private Optional<FieldError> releaseError(String platform, String version) {
    List<Release> releases;
    try {
      releases = planner.releases(platform);
    } catch (DescriptorException e) {
      return Optional.of(
          new FieldError(
              "targetVersion",
              "cannot be checked: the releases of "
                  + platform
                  + " are unreadable: "
                  + e.getMessage()));
    }
    Version wanted = Version.parse(version);
    if (releases.stream().anyMatch(r -> r.version().equals(wanted))) {
      return Optional.empty();
    }
    return Optional.of(
        new FieldError(
            "targetVersion",
            "'"
                + version
                + "' is not a release of "
                + platform
                + "; releases: "
                + (releases.isEmpty()
                    ? "(none: the repository has no version tags)"
                    : String.join(", ", releases.stream().map(Release::tag).toList()))));
  }

  private static boolean validDuration(Object value) {
    try {
      java.time.Duration d = java.time.Duration.parse((String) value);
      return !d.isNegative()
          && d.getSeconds() >= 1
          && d.compareTo(java.time.Duration.ofDays(30)) <= 0;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
