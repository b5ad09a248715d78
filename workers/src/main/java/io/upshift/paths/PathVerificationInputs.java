package io.upshift.paths;

import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Version;
import io.upshift.run.FieldError;
import io.upshift.run.RunbookInputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Start variables of the {@code path-verification} runbook: {@code platform} (registered), optional
 * {@code from} and {@code to} release versions, {@code from} older than {@code to}.
 */
@Component
class PathVerificationInputs implements RunbookInputValidator {

  private final PlatformRegistry registry;

  PathVerificationInputs(PlatformRegistry registry) {
    this.registry = registry;
  }

  @Override
  public String runbook() {
    return "path-verification";
  }

  @Override
  public List<FieldError> validate(Map<String, Object> variables) {
    List<FieldError> errors = new ArrayList<>();
    if (!(variables.get("platform") instanceof String platform)
        || registry.find(platform).isEmpty()) {
      errors.add(
          new FieldError("platform", "must name a registered platform: " + registry.names()));
    }
    Version from = version(variables, "from", errors);
    Version to = version(variables, "to", errors);
    if (from != null && to != null && from.compareTo(to) >= 0) {
      errors.add(new FieldError("from", "must be older than to (" + to + ")"));
    }
    return errors;
  }

  private static Version version(
      Map<String, Object> variables, String field, List<FieldError> errors) {
    Object value = variables.get(field);
    if (value == null) {
      return null;
    }
    if (value instanceof String text && Version.isVersion(text)) {
      return Version.parse(text);
    }
    errors.add(new FieldError(field, "must be a release version like 3.15.2 (MAJOR.MINOR.PATCH)"));
    return null;
  }
}
