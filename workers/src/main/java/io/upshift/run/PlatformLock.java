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
   * Takes {@code platform} for {@code runId}; call in the transaction that creates the run. A lock
   * whose run has ended (written by hand, or left by a crash between a run's end and the release)
   * is stale and freed first. A failed INSERT aborts the transaction on PostgreSQL, so nothing is
   * queried after it: the caller rolls back and then asks {@link #busy} who holds the platform.
   *
   * @throws Taken when another run holds the platform
   */
  void acquire(String platform, String runId, Instant at) {
    jdbc.sql(
            "DELETE FROM platform_lock WHERE platform = ? AND run_id IN (SELECT id FROM run"
                + " WHERE state NOT IN "
                + HOLDING_STATES
                + ")")
        .params(platform)
        .update();
    try {
      jdbc.sql("INSERT INTO platform_lock (platform, run_id, acquired_at) VALUES (?, ?, ?)")
          .params(platform, runId, at.atOffset(ZoneOffset.UTC))
          .update();
    } catch (DuplicateKeyException e) {
      throw new Taken(platform, e);
    }
  }

  /** The answer to a start that found {@code platform} taken; call outside that transaction. */
  PlatformBusyException busy(Taken taken) {
    String holder = holder(taken.platform).orElse(null);
    String state =
        holder == null
            ? null
            : jdbc.sql("SELECT state FROM run WHERE id = ?")
                .param(holder)
                .query(String.class)
                .optional()
                .orElse("active");
    return new PlatformBusyException(taken.platform, holder, state, taken);
  }

  /** Another run holds the platform; the transaction that tried must roll back. */
  static final class Taken extends RuntimeException {
    private final String platform;

    Taken(String platform, Throwable cause) {
      super("platform " + platform + " is taken", cause);
      this.platform = platform;
    }
  }

  /** The run that holds {@code platform}, if any. */
  Optional<String> holder(String platform) {
    return jdbc.sql("SELECT run_id FROM platform_lock WHERE platform = ?")
        .param(platform)
        .query(String.class)
        .optional();
  }
}
