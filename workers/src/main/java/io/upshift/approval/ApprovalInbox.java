package io.upshift.approval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The approval inbox (table {@code approval_task}). State changes are conditional updates from
 * {@code waiting}, so two deciders (or a decision racing the run's end) cannot both win.
 */
@Repository
class ApprovalInbox {

  private static final String WAITING = ApprovalState.WAITING.wire();

  private final JdbcClient jdbc;
  private final ObjectMapper json;

  ApprovalInbox(JdbcClient jdbc, ObjectMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  /**
   * Stores a delivered task; false when a waiting task with its job key is already there (a
   * redelivered job). Deliveries of one job never overlap (the engine hands a job to one worker at
   * a time), so checking first is enough.
   */
  boolean store(NewTask task, Instant at) {
    boolean known =
        jdbc.sql("SELECT count(*) FROM approval_task WHERE job_key = ? AND state = ?")
                .params(task.jobKey(), WAITING)
                .query(Integer.class)
                .single()
            > 0;
    if (known) {
      return false;
    }
    jdbc.sql(
            "INSERT INTO approval_task (job_key, run_id, process_instance_key, bpmn_process_id,"
                + " element_id, name, candidate_groups, due_at, evidence, plan_hash, state,"
                + " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .params(
            task.jobKey(),
            task.runId(),
            task.processInstanceKey(),
            task.bpmnProcessId(),
            task.elementId(),
            task.name(),
            task.candidateGroups().isEmpty() ? null : String.join(",", task.candidateGroups()),
            ts(task.dueDate()),
            task.evidenceJson(),
            task.planHash(),
            WAITING,
            ts(at))
        .update();
    return true;
  }

  /** Every waiting task, e.g. to close them when the (embedded) engine started empty. */
  List<ApprovalTask> allWaiting() {
    return jdbc.sql("SELECT * FROM approval_task WHERE state = ?")
        .param(WAITING)
        .query(this::task)
        .list();
  }

  /** The waiting task of a user-task job, e.g. to announce it right after {@link #store}. */
  Optional<ApprovalTask> waitingByJobKey(long jobKey) {
    return jdbc.sql("SELECT * FROM approval_task WHERE job_key = ? AND state = ?")
        .params(jobKey, WAITING)
        .query(this::task)
        .optional();
  }

  Optional<ApprovalTask> find(long id) {
    return jdbc.sql("SELECT * FROM approval_task WHERE id = ?")
        .param(id)
        .query(this::task)
        .optional();
  }

  /** Newest first; {@code state} and {@code runId} filter when present. */
  List<ApprovalTask> list(Optional<ApprovalState> state, Optional<String> runId, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM approval_task WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    state.ifPresent(
        s -> {
          sql.append(" AND state = ?");
          params.add(s.wire());
        });
    runId.ifPresent(
        r -> {
          sql.append(" AND run_id = ?");
          params.add(r);
        });
    sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
    params.add(limit);
    return jdbc.sql(sql.toString()).params(params).query(this::task).list();
  }

  /** Waiting -> decided; false when the task was no longer waiting. */
  boolean decide(long id, ApprovalState decided, String by, String comment, Instant at) {
    return jdbc.sql(
                "UPDATE approval_task SET state = ?, decided_by = ?, decision_comment = ?,"
                    + " decided_at = ? WHERE id = ? AND state = ?")
            .params(decided.wire(), by, comment, ts(at), id, WAITING)
            .update()
        == 1;
  }

  /** Undoes {@link #decide} when the engine did not take the decision (it stays open). */
  void reopen(long id, ApprovalState decided) {
    jdbc.sql(
            "UPDATE approval_task SET state = ?, decided_by = NULL, decision_comment = NULL,"
                + " decided_at = NULL WHERE id = ? AND state = ?")
        .params(WAITING, id, decided.wire())
        .update();
  }

  /** Closes one task the engine no longer has, whatever was attempted on it. */
  void closeTask(long id, ApprovalState closed, Instant at) {
    jdbc.sql(
            "UPDATE approval_task SET state = ?, decided_by = NULL, decision_comment = NULL,"
                + " decided_at = ? WHERE id = ?")
        .params(closed.wire(), ts(at), id)
        .update();
  }

  /** The waiting tasks of an instance, e.g. to close them when the run ended. */
  List<ApprovalTask> waitingIn(long processInstanceKey) {
    return jdbc.sql("SELECT * FROM approval_task WHERE process_instance_key = ? AND state = ?")
        .params(processInstanceKey, WAITING)
        .query(this::task)
        .list();
  }

  /** Waiting -> closed (expired or cancelled); false when it was decided meanwhile. */
  boolean close(long id, ApprovalState closed, Instant at) {
    return jdbc.sql("UPDATE approval_task SET state = ?, decided_at = ? WHERE id = ? AND state = ?")
            .params(closed.wire(), ts(at), id, WAITING)
            .update()
        == 1;
  }

  /** Stamps the waiting tasks of an instance as reminded; returns how many. */
  int reminded(long processInstanceKey, Instant at) {
    return jdbc.sql(
            "UPDATE approval_task SET reminded_at = ? WHERE process_instance_key = ? AND state = ?")
        .params(ts(at), processInstanceKey, WAITING)
        .update();
  }

  private ApprovalTask task(ResultSet rs, int row) throws SQLException {
    String groups = rs.getString("candidate_groups");
    return new ApprovalTask(
        rs.getLong("id"),
        rs.getLong("job_key"),
        rs.getString("run_id"),
        rs.getLong("process_instance_key"),
        rs.getString("bpmn_process_id"),
        rs.getString("element_id"),
        rs.getString("name"),
        groups == null ? List.of() : Arrays.asList(groups.split(",")),
        instant(rs, "due_at"),
        evidence(rs.getString("evidence")),
        rs.getString("plan_hash"),
        rs.getString("state"),
        rs.getString("decided_by"),
        instant(rs, "decided_at"),
        rs.getString("decision_comment"),
        instant(rs, "reminded_at"),
        instant(rs, "created_at"),
        null);
  }

  private JsonNode evidence(String text) {
    if (text == null) {
      return null;
    }
    try {
      return json.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("approval_task.evidence is not JSON: " + e.getMessage(), e);
    }
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  static OffsetDateTime ts(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }
}
