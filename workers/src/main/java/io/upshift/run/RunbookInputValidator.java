package io.upshift.run;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the start variables of one runbook before a run is created, so bad input is answered at
 * the edge with the field named instead of surfacing later as an incident.
 */
public interface RunbookInputValidator {

  /** The BPMN process id this validator guards. */
  String runbook();

  /**
   * Problems found; field paths are relative to the variables object (e.g. {@code checks[0].url}).
   */
  List<FieldError> validate(Map<String, Object> variables);

  /**
   * The platform a run with these (valid) variables changes, if any. Such a run holds the
   * platform's lock from its creation to its end: one upgrade per platform.
   */
  default Optional<String> platform(Map<String, Object> variables) {
    return Optional.empty();
  }
}
