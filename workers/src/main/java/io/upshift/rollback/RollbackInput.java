package io.upshift.rollback;

/**
 * The variables every rollback step reads: the platform, the run and the plan of the undo (the
 * failure message is the run's {@code outcomeMessage}, set by the boundary that caught it).
 */
record RollbackInput(
    String platform,
    String runId,
    RollbackPlan rollbackPlan,
    DatabaseRestore databaseRestore,
    String outcomeMessage,
    Boolean approved) {

  static final String[] VARIABLES = {
    "platform", "runId", "rollbackPlan", "databaseRestore", "outcomeMessage", "approved"
  };

  RollbackPlan plan() {
    if (rollbackPlan == null) {
      throw new io.upshift.run.StepFailure(
          "The rollback step needs the variable rollbackPlan (set by \"Plan the rollback\")");
    }
    return rollbackPlan;
  }
}
