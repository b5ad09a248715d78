package io.upshift.approval;

import io.upshift.approval.ApprovalTask.AuditEntry;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The append-only audit trail of approvals (table {@code approval_audit}): who decided what, when,
 * with which comment, on which plan hash. This class only inserts and reads, by design.
 */
@Repository
class ApprovalAudit {

  /** Who closes tasks that no person decided (expiry, cancellation by the engine). */
  static final String SYSTEM = "upshift";

  private final JdbcClient jdbc;

  ApprovalAudit(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void append(ApprovalTask task, ApprovalState decision, String by, String comment, Instant at) {
    jdbc.sql(
            "INSERT INTO approval_audit (task_id, run_id, decision, decided_by, decided_at,"
                + " comment, plan_hash) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .params(
            task.id(),
            task.runId(),
            decision.wire(),
            by,
            ApprovalInbox.ts(at),
            comment,
            task.planHash())
        .update();
  }

  List<AuditEntry> forTask(long taskId) {
    return jdbc.sql("SELECT * FROM approval_audit WHERE task_id = ? ORDER BY id")
        .param(taskId)
        .query(
            (rs, i) ->
                new AuditEntry(
                    rs.getLong("id"),
                    rs.getLong("task_id"),
                    rs.getString("run_id"),
                    rs.getString("decision"),
                    rs.getString("decided_by"),
                    ApprovalInbox.instant(rs, "decided_at"),
                    rs.getString("comment"),
                    rs.getString("plan_hash")))
        .list();
  }
}
