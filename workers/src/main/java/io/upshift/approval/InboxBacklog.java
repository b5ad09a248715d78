package io.upshift.approval;

import io.upshift.metrics.ApprovalBacklog;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The approval inbox's backlog for the approval gauges, read from the inbox table at each scrape.
 */
@Component
class InboxBacklog implements ApprovalBacklog {

  private final JdbcClient jdbc;
  private final Clock clock;

  InboxBacklog(JdbcClient jdbc, Clock clock) {
    this.jdbc = jdbc;
    this.clock = clock;
  }

  @Override
  public long waiting() {
    return jdbc.sql("SELECT count(*) FROM approval_task WHERE state = 'waiting'")
        .query(Long.class)
        .single();
  }

  @Override
  public long overdue() {
    return jdbc.sql("SELECT count(*) FROM approval_task WHERE state = 'waiting' AND due_at < ?")
        .param(clock.instant().atOffset(ZoneOffset.UTC))
        .query(Long.class)
        .single();
  }

  @Override
  public Duration oldestWait() {
    // min() of no rows is NULL; read it as a nullable column rather than a required value.
    OffsetDateTime oldest =
        jdbc.sql("SELECT min(created_at) FROM approval_task WHERE state = 'waiting'")
            .query((rs, row) -> rs.getObject(1, OffsetDateTime.class))
            .list()
            .get(0);
    return oldest == null ? Duration.ZERO : Duration.between(oldest.toInstant(), clock.instant());
  }
}
