package io.upshift.run;

import io.upshift.metrics.RunBacklog;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Repository;

/**
 * Upshift's own record of runs and their steps (tables {@code run}, {@code run_step}); also the
 * source of the run gauges.
 */
@Repository
public class RunJournal implements RunBacklog {

  private static final int TEXT_LIMIT = 4000;

  private final JdbcClient jdbc;

  RunJournal(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  void created(String runId, String runbook, int version, String requestedBy, Instant at) {
    jdbc.sql(
            "INSERT INTO run (id, runbook, runbook_version, state, requested_by, started_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")
        .params(runId, runbook, version, RunState.ACTIVE.wire(), requestedBy, ts(at))
        .update();
  }

  void instanceStarted(String runId, long processInstanceKey) {
    jdbc.sql("UPDATE run SET process_instance_key = ? WHERE id = ?")
        .params(processInstanceKey, runId)
        .update();
  }

  /** Records a step attempt and makes its element the run's current one; returns the step id. */
  long stepStarted(String runId, String elementId, String jobType, long jobKey, Instant at) {
    var keys = new GeneratedKeyHolder();
    jdbc.sql(
            "INSERT INTO run_step (run_id, element_id, job_type, job_key, state, started_at)"
                + " VALUES (?, ?, ?, ?, 'started', ?)")
        .params(runId, elementId, jobType, jobKey, ts(at))
        .update(keys, "id");
    jdbc.sql(
            "UPDATE run SET current_element = ?, waiting_for = NULL WHERE id = ? AND state ="
                + " 'active'")
        .params(elementId, runId)
        .update();
    return keys.getKey().longValue();
  }

  void stepEnded(long stepId, String state, String summary, Instant startedAt, Instant endedAt) {
    jdbc.sql(
            "UPDATE run_step SET state = ?, summary = ?, ended_at = ?, duration_ms = ? WHERE id = ?")
        .params(
            state,
            clip(summary),
            ts(endedAt),
            endedAt.toEpochMilli() - startedAt.toEpochMilli(),
            stepId)
        .update();
  }

  /** The active run waits for a person (e.g. a guided-failure decision); null clears it. */
  void waitingFor(String runId, String what) {
    jdbc.sql("UPDATE run SET waiting_for = ? WHERE id = ? AND state = 'active'")
        .params(clip(what), runId)
        .update();
  }

  /** A job ran out of retries: the engine raised an incident that needs an operator. */
  void incident(String runId, String message) {
    jdbc.sql("UPDATE run SET incident = ? WHERE id = ?").params(clip(message), runId).update();
  }

  /**
   * The run reached an end event; idempotent, so a redelivered end-listener job changes nothing.
   *
   * @return true when this call ended the run, false when it had ended already (or is unknown)
   */
  boolean ended(String runId, RunState state, String message, String elementId, Instant at) {
    boolean first =
        jdbc.sql(
                    "UPDATE run SET state = ?, outcome_message = ?, current_element = ?,"
                        + " ended_at = ?, incident = NULL, waiting_for = NULL"
                        + " WHERE id = ? AND state = 'active'")
                .params(state.wire(), clip(message), elementId, ts(at), runId)
                .update()
            == 1;
    if (first) {
      releasePlatform(runId);
    }
    return first;
  }

  /**
   * Marks every active run {@code interrupted}: the embedded engine restarted and lost them. The
   * outcome message names the last step each completed. Their platform locks stay held.
   *
   * @return the runs marked, as they are now
   */
  List<RunView> interruptActive(Instant at) {
    List<RunView> marked = new java.util.ArrayList<>();
    List<String> ids =
        jdbc.sql("SELECT id FROM run WHERE state = 'active' ORDER BY started_at")
            .query(String.class)
            .list();
    for (String id : ids) {
      RunView run = find(id).orElseThrow();
      String message = interruptionMessage(run, at);
      int changed =
          jdbc.sql(
                  "UPDATE run SET state = ?, outcome_message = ?, ended_at = ?,"
                      + " waiting_for = NULL WHERE id = ? AND state = 'active'")
              .params(RunState.INTERRUPTED.wire(), clip(message), ts(at), id)
              .update();
      if (changed == 1) {
        find(id).ifPresent(marked::add);
      }
    }
    return marked;
  }

  private static String interruptionMessage(RunView run, Instant at) {
    RunView.Step lastDone = null;
    RunView.Step open = null;
    for (RunView.Step step : run.steps()) {
      if ("completed".equals(step.state())) {
        lastDone = step;
      }
      // Only the newest step can still be running: an older one left started was interrupted by
      // an earlier restart, and the run was resumed past it.
      open = "started".equals(step.state()) ? step : null;
    }
    StringBuilder text =
        new StringBuilder(
            "Interrupted: Upshift restarted at "
                + at
                + " with the embedded engine, which keeps no state, so the engine lost this run."
                + " Last completed step: ");
    text.append(
        lastDone == null
            ? "none"
            : lastDone.elementId() + " (" + lastDone.jobType() + ", " + lastDone.endedAt() + ")");
    if (open != null) {
      text.append("; in progress when Upshift stopped: ")
          .append(open.elementId())
          .append(" (")
          .append(open.jobType())
          .append(')');
    }
    text.append(
        ". An operator decides: resume it where it stopped (its variables were kept after each"
            + " step), roll it back if its cutover changed the platform, or look at the platform"
            + " and abandon the run to release it.");
    return text.toString();
  }

  /**
   * An operator resumed or rolled back an interrupted run: it is active again (same id, same
   * platform lock) and its new engine instance is recorded by {@link #instanceStarted}.
   *
   * @return false when the run is not (or no longer) interrupted
   */
  boolean reopen(String runId, String message) {
    return jdbc.sql(
                "UPDATE run SET state = ?, outcome_message = ?, ended_at = NULL, incident = NULL,"
                    + " process_instance_key = NULL WHERE id = ? AND state = 'interrupted'")
            .params(RunState.ACTIVE.wire(), clip(message), runId)
            .update()
        == 1;
  }

  /** The engine refused the new instance of a reopened run: it is interrupted again, as before. */
  void interruptAgain(String runId, String message, Instant endedAt) {
    jdbc.sql(
            "UPDATE run SET state = ?, outcome_message = ?, ended_at = ? WHERE id = ?"
                + " AND state = 'active'")
        .params(RunState.INTERRUPTED.wire(), clip(message), ts(endedAt), runId)
        .update();
  }

  /**
   * An operator abandoned an interrupted run: it releases its platform.
   *
   * @return false when the run is not (or no longer) interrupted
   */
  boolean abandonInterrupted(String runId, String message) {
    boolean changed =
        jdbc.sql(
                    "UPDATE run SET state = ?, outcome_message = ? WHERE id = ?"
                        + " AND state = 'interrupted'")
                .params(RunState.ABANDONED.wire(), clip(message), runId)
                .update()
            == 1;
    if (changed) {
      releasePlatform(runId);
    }
    return changed;
  }

  /** Frees the platform lock the run holds, if any ({@link PlatformLock}). */
  private void releasePlatform(String runId) {
    jdbc.sql("DELETE FROM platform_lock WHERE run_id = ?").param(runId).update();
  }

  void abandoned(String runId, String message, Instant at) {
    ended(runId, RunState.FAILED, message, null, at);
  }

  @Override
  public long activeRuns() {
    return jdbc.sql("SELECT COUNT(*) FROM run WHERE state = 'active'").query(Long.class).single();
  }

  @Override
  public long runsWithOpenIncident() {
    return jdbc.sql("SELECT COUNT(*) FROM run WHERE state = 'active' AND incident IS NOT NULL")
        .query(Long.class)
        .single();
  }

  /**
   * The state of a run this journal knows ({@code active}, {@code interrupted}, {@code completed},
   * ...), or empty for a run id it never saw (another Upshift instance's run).
   */
  public Optional<String> state(String runId) {
    return jdbc.sql("SELECT state FROM run WHERE id = ?")
        .param(runId)
        .query(String.class)
        .optional();
  }

  Optional<RunView> find(String runId) {
    return jdbc.sql("SELECT * FROM run WHERE id = ?")
        .param(runId)
        .query(RunJournal::run)
        .optional()
        .map(run -> run.withSteps(steps(runId)));
  }

  /** The newest runs first, optionally only those in one state and of one runbook. */
  List<RunView> recent(Optional<RunState> state, Optional<String> runbook, int limit) {
    StringBuilder sql = new StringBuilder("SELECT * FROM run WHERE 1 = 1");
    Map<String, Object> params = new HashMap<>();
    state.ifPresent(
        s -> {
          sql.append(" AND state = :state");
          params.put("state", s.wire());
        });
    runbook.ifPresent(
        r -> {
          sql.append(" AND runbook = :runbook");
          params.put("runbook", r);
        });
    sql.append(" ORDER BY started_at DESC LIMIT :limit");
    params.put("limit", limit);
    return jdbc.sql(sql.toString()).params(params).query(RunJournal::run).list();
  }

  private List<RunView.Step> steps(String runId) {
    return jdbc.sql("SELECT * FROM run_step WHERE run_id = ? ORDER BY id")
        .param(runId)
        .query(
            (rs, i) ->
                new RunView.Step(
                    rs.getString("element_id"),
                    rs.getString("job_type"),
                    rs.getLong("job_key"),
                    rs.getString("state"),
                    rs.getString("summary"),
                    instant(rs, "started_at"),
                    instant(rs, "ended_at"),
                    (Long) rs.getObject("duration_ms", Long.class)))
        .list();
  }

  private static RunView run(ResultSet rs, int row) throws SQLException {
    return new RunView(
        rs.getString("id"),
        rs.getString("runbook"),
        rs.getObject("runbook_version", Integer.class),
        rs.getObject("process_instance_key", Long.class),
        rs.getString("state"),
        rs.getString("current_element"),
        rs.getString("incident"),
        rs.getString("waiting_for"),
        rs.getString("outcome_message"),
        rs.getString("requested_by"),
        instant(rs, "started_at"),
        instant(rs, "ended_at"),
        List.of());
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private static OffsetDateTime ts(Instant at) {
    return at.atOffset(ZoneOffset.UTC);
  }

  private static String clip(String text) {
    return text == null || text.length() <= TEXT_LIMIT
        ? text
        : text.substring(0, TEXT_LIMIT - 1) + "…";
  }
}
