package io.upshift.rollback;

/**
 * The variables the rollback steps read: the platform, the run, the plan of the undo, what the
 * database restore did, and the failure message (the run's {@code outcomeMessage}, set by the
 * boundary that caught it). Each worker fetches only the ones it needs.
 */
record RollbackInput(
    String platform,
    String runId,
    RollbackPlan rollbackPlan,
    DatabaseRestore databaseRestore,
    DataRestore dataRestore,
    String outcomeMessage) {

  /**
   * Every database and volume restored; a run of version 1 recorded only {@code databaseRestore}.
   */
  DataRestore data() {
    if (dataRestore != null) {
      return dataRestore;
    }
    return databaseRestore == null
        ? null
        : new DataRestore(databaseRestore.restoredFrom(), java.util.List.of(databaseRestore), null);
  }

  RollbackPlan plan() {
    if (rollbackPlan == null) {
      throw new io.upshift.run.StepFailure(
          "The rollback step needs the variable rollbackPlan (set by \"Read what the failed hop"
              + " changed\")");
    }
    return rollbackPlan;
  }
}
