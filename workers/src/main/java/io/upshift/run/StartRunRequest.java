package io.upshift.run;

import java.util.Map;

/**
 * {@code POST /api/runs}: which runbook to start and its start variables.
 *
 * @param runbook the BPMN process id, e.g. {@code health-check}
 * @param variables the runbook's inputs; keep them small (ids, names, URLs), never secrets
 */
public record StartRunRequest(String runbook, Map<String, Object> variables) {}
