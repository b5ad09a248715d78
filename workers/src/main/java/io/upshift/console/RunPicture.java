package io.upshift.console;

import io.upshift.approval.ApprovalState;
import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunState;
import io.upshift.run.RunView;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run as its console page shows it: the timeline, the diagram's element markers, where the point
 * of no return is and whether a rollback is still possible from where the run stands.
 *
 * @param markers element id to {@code done}, {@code active} or {@code failed}
 * @param safety what going back means right now
 */
public record RunPicture(
    RunView run,
    RunbookModels.Runbook runbook,
    Map<String, String> markers,
    Safety safety,
    List<ApprovalTask> approvals) {

  /**
   * @param level {@code safe} (nothing changed), {@code armed} (a failure rolls back
   *     automatically), {@code rolling-back}, {@code rolled-back}, {@code manual} (only a manual
   *     restore goes back), {@code danger} (changed and not rolled back), {@code unknown}
   */
  public record Safety(String level, String title, String detail) {}

  static RunPicture of(RunView run, RunbookModels.Runbook runbook, List<ApprovalTask> approvals) {
    Map<String, String> markers = new LinkedHashMap<>();
    for (RunView.Step step : run.steps()) {
      markers.put(
          step.elementId(),
          switch (step.state()) {
            case "completed" -> "done";
            case "started" -> "active";
            default -> "failed";
          });
    }
    for (ApprovalTask task : approvals) {
      String marker =
          switch (ApprovalState.valueOf(task.state().toUpperCase(java.util.Locale.ROOT))) {
            case WAITING -> "active";
            case APPROVED -> "done";
            case REJECTED, EXPIRED -> "failed";
            case CANCELLED -> null;
            case RETRY, ABORT, ROLLBACK, SKIP, LEAVE_PENDING -> "done";
          };
      if (marker != null) {
        markers.put(task.elementId(), marker);
      }
    }
    boolean ended = !RunState.ACTIVE.wire().equals(run.state());
    if (ended && run.currentElement() != null) {
      markers.put(
          run.currentElement(), RunState.COMPLETED.wire().equals(run.state()) ? "done" : "failed");
    }
    return new RunPicture(run, runbook, markers, safety(run, runbook, approvals), approvals);
  }

  private static Safety safety(
      RunView run, RunbookModels.Runbook runbook, List<ApprovalTask> approvals) {
    if (runbook == null || runbook.pointOfNoReturn() == null) {
      return new Safety(
          "unknown",
          "No point of no return marked",
          "This runbook marks no point of no return (extension property "
              + RunbookModels.POINT_OF_NO_RETURN
              + "), so Upshift cannot say what a failure would undo.");
    }
    String ponr = runbook.name(runbook.pointOfNoReturn());
    boolean reached =
        run.steps().stream().anyMatch(s -> s.elementId().equals(runbook.pointOfNoReturn()));
    String state = run.state();
    if (!RunState.ACTIVE.wire().equals(state)) {
      if (RunState.COMPLETED.wire().equals(state)) {
        return new Safety(
            "manual",
            "Completed: only a manual restore goes back",
            "The upgrade completed and was verified. Automatic rollback no longer applies; to go"
                + " back, restore this run's backup by hand (see docs/operations.md).");
      }
      if (RunState.ROLLED_BACK.wire().equals(state)) {
        return new Safety(
            "rolled-back",
            "Rolled back",
            "A hop failed after the point of no return and what it had done was undone: the"
                + " release, configuration and images from before its stop, and its database if"
                + " its migrations had started. Hops that finished before it stay. The outcome"
                + " says what was discarded and where it is kept.");
      }
      if (RunState.INTERRUPTED.wire().equals(state) || RunState.ABANDONED.wire().equals(state)) {
        return reached
            ? new Safety(
                "danger",
                "Interrupted inside the cutover",
                "Upshift restarted with the embedded engine and lost this run after \""
                    + ponr
                    + "\": the platform may be stopped, half migrated or on the new release, and"
                    + " nothing rolled it back. Check it and restore by hand if needed"
                    + " (docs/operations.md, \"Restoring by hand\").")
            : new Safety(
                "safe",
                "Interrupted before the point of no return",
                "Upshift restarted with the embedded engine and lost this run before \""
                    + ponr
                    + "\": nothing on the platform changed.");
      }
      if ("FailedNothingChanged".equals(run.currentElement())) {
        return new Safety(
            reached ? "manual" : "safe",
            "Failed before the failing hop stopped anything",
            "The failing hop never stopped the platform, so nothing was undone; hops that"
                + " finished before it (if any) stay, verified.");
      }
      if ("RolledBackByHand".equals(run.currentElement())) {
        return new Safety(
            "danger",
            "The rollback failed; a person restored by hand",
            "The automatic rollback failed and a person finished it by hand"
                + " (docs/operations.md, \"Restoring by hand\"). Check the platform.");
      }
      return reached
          ? new Safety(
              "danger",
              "Ended after the point of no return without a rollback",
              "The platform was changed (from \""
                  + ponr
                  + "\" on) and no rollback completed. Check the platform and the incident.")
          : new Safety(
              "safe",
              "Ended before the point of no return",
              "Nothing on the platform changed: the run ended before \"" + ponr + "\".");
    }
    if (!reached) {
      return new Safety(
          "safe",
          "Before the point of no return",
          "Nothing on the platform has changed yet. The point of no return is \""
              + ponr
              + "\"; a rejection before it ends the run with nothing to undo, and a step"
              + " that fails before it waits for a person to retry it or abort the run.");
    }
    var waitingTask =
        approvals.stream()
            .filter(t -> ApprovalState.WAITING.wire().equals(t.state()))
            .map(ApprovalTask::elementId)
            .findFirst();
    String position = waitingTask.orElse(run.currentElement());
    if (runbook.rollbackPath().contains(position) && waitingTask.isPresent()) {
      return new Safety(
          "rolled-back",
          "Rolled back; waiting for review",
          "A step after the point of no return failed and the platform was rolled back; \""
              + runbook.name(position)
              + "\" waits for a person.");
    }
    if (runbook.rollbackPath().contains(position)) {
      return new Safety(
          "rolling-back",
          "Rolling back",
          "A step after the point of no return failed; the rollback path is running.");
    }
    if (runbook.protectedScope().contains(position)) {
      return new Safety(
          "armed",
          "Past the point of no return: automatic rollback armed",
          "The platform is being changed. A failure now rolls it back automatically (release,"
              + " configuration, image digests and database from the backup).");
    }
    return new Safety(
        "manual",
        "Cutover done: only a manual restore goes back",
        "The changes are applied and verified; automatic rollback no longer applies. To go back,"
            + " restore this run's backup by hand (see docs/operations.md).");
  }
}
