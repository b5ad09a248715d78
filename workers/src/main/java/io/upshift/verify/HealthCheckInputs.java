package io.upshift.verify;

import io.upshift.run.FieldError;
import io.upshift.run.RunbookInputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/** Start variables of the {@code health-check} runbook: {@code checks}, a list of HTTP checks. */
@Component
class HealthCheckInputs implements RunbookInputValidator {

  static final int MAX_CHECKS = 100;

  @Override
  public String runbook() {
    return "health-check";
  }

  @Override
  public List<FieldError> validate(Map<String, Object> variables) {
    List<FieldError> errors = new ArrayList<>();
    Object checks = variables.get("checks");
    if (!(checks instanceof List<?> list) || list.isEmpty() || list.size() > MAX_CHECKS) {
      errors.add(
          new FieldError(
              "checks",
              "is required: a list of 1 to "
                  + MAX_CHECKS
                  + " checks like {\"url\": \"http://host/health\"}"));
      return errors;
    }
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) instanceof Map<?, ?> check) {
        @SuppressWarnings("unchecked")
        Map<String, ?> fields = (Map<String, ?>) check;
        HttpCheck.parse(fields, "checks[" + i + "].", errors);
      } else {
        errors.add(new FieldError("checks[" + i + "]", "must be an object with at least a url"));
      }
    }
    return errors;
  }
}
