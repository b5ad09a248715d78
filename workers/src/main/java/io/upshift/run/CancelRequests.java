package io.upshift.run;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Cancels asked for inside the cutover (table {@code cancel_request}), honoured by JobSteps. */
@Repository
class CancelRequests {

  record Request(String requestedBy, String reason) {
    String message() {
      return "Cancelled by "
          + (requestedBy == null ? "an operator" : requestedBy)
          + " during the cutover: "
          + reason;
    }
  }

  private final JdbcClient jdbc;
  private final Clock clock;

  CancelRequests(JdbcClient jdbc, Clock clock) {
    this.jdbc = jdbc;
    this.clock = clock;
  }

  /** Records the request once; a second ask keeps the first. */
  void request(String runId, String requestedBy, String reason) {
    try {
      jdbc.sql(
              "INSERT INTO cancel_request (run_id, requested_by, reason, requested_at)"
                  + " VALUES (?, ?, ?, ?)")
          .params(
              runId, requestedBy, reason, OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC))
          .update();
    } catch (DuplicateKeyException e) {
      // Asked before: the first request stands.
    }
  }

  Optional<Request> find(String runId) {
    return jdbc.sql("SELECT requested_by, reason FROM cancel_request WHERE run_id = ?")
        .param(runId)
        .query((rs, n) -> new Request(rs.getString(1), rs.getString(2)))
        .optional();
  }
}
