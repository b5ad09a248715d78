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
    String outcomeMessage) {

  RollbackPlan plan() {
    if (rollbackPlan == null) {
      throw new io.upshift.run.StepFailure(
          "The rollback step needs the variable rollbackPlan (set by \"Read what the failed hop"
              + " changed\")");
    }
    return rollbackPlan;
  }
}
