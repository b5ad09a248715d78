package io.upshift.run;

import java.util.List;
import java.util.Map;

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
}
