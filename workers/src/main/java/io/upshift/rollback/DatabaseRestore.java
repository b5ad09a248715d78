package io.upshift.rollback;

import java.util.List;

/**
 * What the database rollback did (process variable {@code databaseRestore}): the restore point was
 * restored into a new database, checked against the counts at the stop, and swapped in by rename;
 * the failed state is kept under another name, with what it holds beyond the restore point.
 *
 * @param database the platform's database name (now holding the restore point)
 * @param restoredFrom the backup id restored
 * @param failedStateKeptAs the database that holds the failed state, untouched
 * @param discardedRows rows of the protected tables in the failed state but not in the restore
 *     point
 * @param discarded per table: how many rows and their first primary keys
 * @param sequencesAdvanced sequences moved past the values the failed release handed out
 * @param keysFile every discarded key, per table (JSON), on Upshift's host
 * @param databaseId the descriptor's id of the database (null in records of version 1 runs)
 */
public record DatabaseRestore(
    String database,
    String restoredFrom,
    String failedStateKeptAs,
    long discardedRows,
    List<TableDiscard> discarded,
    List<String> sequencesAdvanced,
    String keysFile,
    String databaseId) {

  /** The same outcome, now swapped in: the platform's database holds it, the failed state aside. */
  DatabaseRestore swapped(String database, String failedStateKeptAs) {
    return new DatabaseRestore(
        database,
        restoredFrom,
        failedStateKeptAs,
        discardedRows,
        discarded,
        sequencesAdvanced,
        keysFile,
        databaseId);
  }

  /** Rows of one table written after the stop and not carried back. */
  public record TableDiscard(String table, long rows, List<String> keys, String note) {}

  /** "N rows written after the stop were not carried back; they are in ...; how to reconcile". */
  public String sentence() {
    if (discardedRows == 0) {
      return "No row of the protected tables was written after the stop: nothing was discarded."
          + " The failed state is kept as database "
          + failedStateKeptAs
          + ".";
    }
    StringBuilder text = new StringBuilder();
    text.append(discardedRows)
        .append(discardedRows == 1 ? " row" : " rows")
        .append(" written after the stop were not carried back (");
    for (int i = 0; i < discarded.size(); i++) {
      TableDiscard t = discarded.get(i);
      if (i > 0) {
        text.append("; ");
      }
      text.append(t.table()).append(": ").append(t.rows());
      if (!t.keys().isEmpty()) {
        text.append(", keys ").append(String.join(", ", t.keys()));
        if (t.keys().size() < t.rows()) {
          text.append(", …");
        }
      }
    }
    text.append("); they are in database ")
        .append(failedStateKeptAs)
        .append(" (every key: ")
        .append(keysFile)
        .append(")")
        .append(". How to reconcile: compare that database with ")
        .append(database)
        .append(" by primary key, re-apply the rows that are still wanted (docs/operations.md,")
        .append(" \"Reconciling writes a rollback did not carry back\"), then drop it.");
    return text.toString();
  }
}
