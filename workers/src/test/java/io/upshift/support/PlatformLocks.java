package io.upshift.support;

import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * Catches a step of a run in the act on the demo platform's database: the test holds a lock the
 * step needs (a migration's {@code ALTER TABLE items}, the backup's {@code pg_dump}) in an open
 * transaction, waits until the step's statement waits for it, and kills Upshift there.
 */
public final class PlatformLocks {

  private PlatformLocks() {}

  /**
   * An open transaction that holds ACCESS SHARE on items: reads, writes and pg_dump go on, but the
   * 1.1.0 migration's {@code ALTER TABLE items} waits for it.
   */
  public static Connection holdItems(Deployment platform) throws SQLException {
    return hold(platform, "LOCK TABLE items IN ACCESS SHARE MODE");
  }

  /** An open transaction that holds ACCESS EXCLUSIVE on {@code table}: pg_dump waits for it. */
  public static Connection holdExclusively(Deployment platform, String table) throws SQLException {
    return hold(platform, "LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
  }

  private static Connection hold(Deployment platform, String lock) throws SQLException {
    Connection c = platform.connect();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute(lock);
    }
    return c;
  }

  /** Sessions of the platform's database waiting for a lock. */
  public static long lockWaits(Deployment platform) throws SQLException {
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Until some statement waits for a lock the test holds. */
  public static void awaitLockWait(Deployment platform) {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> lockWaits(platform) > 0);
  }

  /** The killed process's statement gets its lock once the test lets go, then finds no client. */
  public static void awaitNoLockWaits(Deployment platform) {
    await()
        .atMost(Duration.ofMinutes(1))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> lockWaits(platform) == 0);
  }
}
