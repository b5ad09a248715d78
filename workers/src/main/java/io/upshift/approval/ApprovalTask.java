package io.upshift.approval;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * An approval task as the inbox shows it.
 *
 * @param id the inbox's id of the task
 * @param jobKey the engine's job key of the user task, stable for the task's life
 * @param evidence what the model put in the task's {@code evidence} variable, as JSON
 * @param planHash the plan hash the task showed; an approval is bound to it
 * @param audit the task's audit trail (only in {@code GET /api/approvals/{id}})
 */
public record ApprovalTask(
    long id,
    long jobKey,
    String runId,
    long processInstanceKey,
    String runbook,
    String elementId,
    String name,
    List<String> candidateGroups,
    Instant dueDate,
    JsonNode evidence,
    String planHash,
    String state,
    String decidedBy,
    Instant decidedAt,
    String comment,
    Instant remindedAt,
    Instant createdAt,
    List<AuditEntry> audit) {

  /** One row of the append-only audit trail. */
  public record AuditEntry(
      long id,
      long taskId,
      String runId,
      String decision,
      String decidedBy,
      Instant decidedAt,
      String comment,
      String planHash) {}

  boolean waiting() {
    return ApprovalState.WAITING.wire().equals(state);
  }

  ApprovalTask withAudit(List<AuditEntry> entries) {
    return new ApprovalTask(
        id,
        jobKey,
        runId,
        processInstanceKey,
        runbook,
        elementId,
        name,
        candidateGroups,
        dueDate,
        evidence,
        planHash,
        state,
        decidedBy,
        decidedAt,
        comment,
        remindedAt,
        createdAt,
        entries);
  }
}
