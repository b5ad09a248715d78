package io.upshift.run;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * One upgrade per platform (table {@code platform_lock}): the platform's primary key makes taking
 * the lock one atomic INSERT, so two starts racing for one platform cannot both win. Held from the
 * run's creation until it ends, is cancelled or (after an interruption) is abandoned: the journal
 * releases it with the state change ({@link RunJournal#ended}). It lives in Upshift's database and
 * therefore survives restarts.
 */
@Repository
class PlatformLock {

  /** Run states that hold their platform: a lock held by a run in another state is stale. */
  private static final String HOLDING_STATES = "('active', 'interrupted')";

  private final JdbcClient jdbc;

  PlatformLock(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * Takes {@code platform} for {@code runId}; call in the transaction that creates the run.
   *
   * @throws PlatformBusyException naming the run that holds it
   */
  void acquire(String platform, String runId, Instant at) {
    try {
      insert(platform, runId, at);
    } catch (DuplicateKeyException e) {
      // A lock whose run has ended (written before this table kept up, or by hand) is stale:
      // free it and try once more; a second failure means a live holder won the race.
      int freed =
          jdbc.sql(
                  "DELETE FROM platform_lock WHERE platform = ? AND run_id IN (SELECT id FROM run"
                      + " WHERE state NOT IN "
                      + HOLDING_STATES
                      + ")")
              .params(platform)
              .update();
      if (freed == 0) {
        throw busy(platform, e);
      }
      try {
        insert(platform, runId, at);
      } catch (DuplicateKeyException again) {
        throw busy(platform, again);
      }
    }
  }

  /** The run that holds {@code platform}, if any. */
  Optional<String> holder(String platform) {
    return jdbc.sql("SELECT run_id FROM platform_lock WHERE platform = ?")
        .param(platform)
        .query(String.class)
        .optional();
  }

  /** The platform {@code runId} holds, if any. */
  Optional<String> platformOf(String runId) {
    return jdbc.sql("SELECT platform FROM platform_lock WHERE run_id = ?")
        .param(runId)
        .query(String.class)
        .optional();
  }

  private void insert(String platform, String runId, Instant at) {
    jdbc.sql("INSERT INTO platform_lock (platform, run_id, acquired_at) VALUES (?, ?, ?)")
        .params(platform, runId, at.atOffset(ZoneOffset.UTC))
        .update();
  }

  private PlatformBusyException busy(String platform, RuntimeException cause) {
    String holder = holder(platform).orElse("(a run that just ended; try again)");
    String state =
        jdbc.sql("SELECT state FROM run WHERE id = ?")
            .param(holder)
            .query(String.class)
            .optional()
            .orElse("active");
    return new PlatformBusyException(platform, holder, state, cause);
  }
}
