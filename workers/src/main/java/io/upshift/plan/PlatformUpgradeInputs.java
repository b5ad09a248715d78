package io.upshift.plan;

import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Version;
import io.upshift.run.FieldError;
import io.upshift.run.RunbookInputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/** Start variables of {@code platform-upgrade}: a registered platform and a target version. */
@Component
class PlatformUpgradeInputs implements RunbookInputValidator {

  private final PlatformRegistry registry;

  PlatformUpgradeInputs(PlatformRegistry registry) {
    this.registry = registry;
  }

  @Override
  public String runbook() {
    return "platform-upgrade";
  }

  @Override
  public List<FieldError> validate(Map<String, Object> variables) {
    List<FieldError> errors = new ArrayList<>();
    Object platform = variables.get("platform");
    if (!(platform instanceof String name) || registry.find(name).isEmpty()) {
      errors.add(new FieldError("platform", "must be a registered platform: " + registry.names()));
    }
    Object target = variables.get("targetVersion");
    if (!(target instanceof String version) || !Version.isVersion(version)) {
      errors.add(
          new FieldError(
              "targetVersion", "is required: a release version like 1.2.0 or 1.2.0-label"));
    }
    Object stones = variables.get("allowSteppingStones");
    if (stones != null && !(stones instanceof Boolean)) {
      errors.add(new FieldError("allowSteppingStones", "must be true or false"));
    }
    for (String name : List.of("approvalTimeout", "reminderAfter", "signOffWindow")) {
      Object value = variables.get(name);
      if (value != null && !validDuration(value)) {
        errors.add(
            new FieldError(
                name, "must be an ISO-8601 duration from PT1S to P30D, e.g. P3D or PT4H"));
      }
    }
    return errors;
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
