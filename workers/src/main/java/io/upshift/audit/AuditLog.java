package io.upshift.audit;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The append-only audit trail of people's actions (table {@code audit_event}). Approval decisions
 * also keep their own trail bound to the plan hash ({@code approval_audit}); this log is the one
 * place that lists every action, whichever door it came through.
 */
@Repository
public class AuditLog {

  private static final Logger log = LoggerFactory.getLogger("io.upshift.audit");

  private final JdbcClient jdbc;
  private final Clock clock;

  AuditLog(JdbcClient jdbc, Clock clock) {
    this.jdbc = jdbc;
    this.clock = clock;
  }

  /**
   * Appends one event.
   *
   * @param actor the user name, or {@code anonymous} when nobody signed in
   * @param action what happened, e.g. {@code run.start}, {@code approval.approve}, {@code login}
   * @param target what it happened to (a run id, a task id), or null
   * @param detail a short human-readable description, or null
   */
  public void record(String actor, String action, String target, String detail) {
    String who = actor == null || actor.isBlank() ? "anonymous" : clean(actor, 200);
    String what = detail == null ? null : clean(detail, 2000);
    try {
      jdbc.sql(
              "INSERT INTO audit_event (occurred_at, actor, action, target, detail)"
                  + " VALUES (?, ?, ?, ?, ?)")
          .params(clock.instant().atOffset(ZoneOffset.UTC), who, action, target, what)
          .update();
    } catch (DataAccessException e) {
      // The action already happened (a run started, a task decided): failing it now would lie
      // about it. The event is logged in full instead, for whoever reconciles the trail.
      log.error(
          "audit: could not store {} {} {} ({}): {}", who, action, target, what, e.getMessage());
      return;
    }
    log.info(
        "audit: {} {} {}{}",
        who,
        action,
        target == null ? "-" : target,
        what == null ? "" : " (" + what + ")");
  }

  /** The newest events first. */
  public List<AuditEvent> recent(int limit) {
    return jdbc.sql(
            "SELECT id, occurred_at, actor, action, target, detail FROM audit_event"
                + " ORDER BY id DESC LIMIT ?")
        .param(limit)
        .query(
            (rs, n) ->
                new AuditEvent(
                    rs.getLong("id"),
                    rs.getObject("occurred_at", java.time.OffsetDateTime.class).toInstant(),
                    rs.getString("actor"),
                    rs.getString("action"),
                    rs.getString("target"),
                    rs.getString("detail")))
        .list();
  }

  /** Control characters out (no forged log lines), and at most {@code limit} characters. */
  private static String clean(String text, int limit) {
    String flat = text.replaceAll("\\p{Cntrl}", " ");
    return flat.length() <= limit ? flat : flat.substring(0, limit - 1) + "…";
  }

  /** One row of the audit trail. */
  public record AuditEvent(
      long id, Instant occurredAt, String actor, String action, String target, String detail) {}
}
