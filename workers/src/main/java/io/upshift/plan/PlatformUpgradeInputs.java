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
    return errors;
  }
}
