package io.upshift.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the run page says about going back, computed from the real platform-upgrade model and
 * journal-shaped runs: before the point of no return, inside the cutover, on the rollback path,
 * after the cutover, and for each way a run ends.
 */
class RunPictureTest {

  static final RunbookModels.Runbook UPGRADE =
      new RunbookModels().find("platform-upgrade").orElseThrow();

  @Test
  void theModelMarksStopApplicationsAsThePointOfNoReturnInsideTheCutover() {
    assertThat(UPGRADE.pointOfNoReturn()).isEqualTo("StopApplications");
    assertThat(UPGRADE.protectedScope())
        .contains("Cutover", "PullImages", "StopApplications", "ApplyMigrations", "RecordVersion")
        .doesNotContain("ApproveMaintenanceWindow", "SignOffUpgrade", "RestoreDatabase");
    // The rollback path starts at the boundary catching the stop's failure code, and includes the
    // undo steps inside its subprocess; a failure before the stop is not a rollback.
    assertThat(UPGRADE.rollbackPath())
        .contains(
            "CutoverFailed",
            "PlanRollback",
            "RollbackHop",
            "StopFailedRelease",
            "RestoreDatabase",
            "StartPreviousRelease",
            "ReviewRollback",
            "RestoreByHand",
            "RolledBack")
        .doesNotContain("SignOffUpgrade", "Upgraded", "CutoverNotStarted");
    assertThat(new RunbookModels().find("health-check").orElseThrow().pointOfNoReturn()).isNull();
  }

  @Test
  void waitingForApprovalIsSafe() {
    RunView run = run("active", null, "RehearseRestore", steps("PlanUpgrade", "RehearseRestore"));
    RunPicture picture =
        RunPicture.of(run, UPGRADE, List.of(task("ApproveMaintenanceWindow", "waiting")));
    assertThat(picture.safety().level()).isEqualTo("safe");
    assertThat(picture.safety().detail()).contains("Stop applications");
    assertThat(picture.markers())
        .containsEntry("PlanUpgrade", "done")
        .containsEntry("ApproveMaintenanceWindow", "active");
  }

  @Test
  void insideTheCutoverAFailureRollsBackAutomatically() {
    List<RunView.Step> steps = steps("PlanUpgrade", "PullImages", "StopApplications");
    steps.add(step("ApplyMigrations", "started"));
    RunView run = run("active", null, "ApplyMigrations", steps);
    RunPicture picture =
        RunPicture.of(run, UPGRADE, List.of(task("ApproveMaintenanceWindow", "approved")));
    assertThat(picture.safety().level()).isEqualTo("armed");
    assertThat(picture.markers())
        .containsEntry("ApplyMigrations", "active")
        .containsEntry("ApproveMaintenanceWindow", "done");
  }

  @Test
  void aFailedStepLeadsOntoTheRollbackPath() {
    List<RunView.Step> steps = steps("StopApplications");
    steps.add(step("StartPlatform", "failed"));
    steps.add(step("RestoreDatabase", "started"));
    RunPicture rolling =
        RunPicture.of(run("active", null, "RestoreDatabase", steps), UPGRADE, List.of());
    assertThat(rolling.safety().level()).isEqualTo("rolling-back");
    assertThat(rolling.markers()).containsEntry("StartPlatform", "failed");

    List<RunView.Step> done = steps("StopApplications", "StartPreviousRelease");
    RunPicture review =
        RunPicture.of(
            run("active", null, "StartPreviousRelease", done),
            UPGRADE,
            List.of(task("ReviewRollback", "waiting")));
    assertThat(review.safety().level()).isEqualTo("rolled-back");
    assertThat(review.safety().detail()).contains("Review rollback");
  }

  @Test
  void afterTheCutoverOnlyAManualRestoreGoesBack() {
    RunView run = run("active", null, "RecordVersion", steps("StopApplications", "RecordVersion"));
    RunPicture picture = RunPicture.of(run, UPGRADE, List.of(task("SignOffUpgrade", "waiting")));
    assertThat(picture.safety().level()).isEqualTo("manual");
  }

  @Test
  void endedRunsSayWhatHappenedToThePlatform() {
    assertThat(level(run("completed", "Upgraded", "Upgraded", steps("StopApplications"))))
        .isEqualTo("manual");
    assertThat(level(run("rolled-back", "x", "RolledBack", steps("StopApplications"))))
        .isEqualTo("rolled-back");
    assertThat(level(run("rejected", "x", "ApprovalRejected", steps("PlanUpgrade"))))
        .isEqualTo("safe");
    assertThat(level(run("failed", "x", "PreflightFailedEnd", steps("PlanUpgrade"))))
        .isEqualTo("safe");
    assertThat(level(run("failed", "x", "Cutover", steps("StopApplications")))).isEqualTo("danger");
    RunPicture completed =
        RunPicture.of(
            run("completed", "ok", "Upgraded", steps("StopApplications")), UPGRADE, List.of());
    assertThat(completed.markers()).containsEntry("Upgraded", "done");
    RunPicture rejected =
        RunPicture.of(run("rejected", "no", "ApprovalRejected", steps()), UPGRADE, List.of());
    assertThat(rejected.markers()).containsEntry("ApprovalRejected", "failed");
  }

  @Test
  void anInterruptedRunSaysWhetherThePlatformMayBeHalfUpgraded() {
    RunPicture before =
        RunPicture.of(
            run("interrupted", "Interrupted: ...", "RehearseRestore", steps("PlanUpgrade")),
            UPGRADE,
            List.of());
    assertThat(before.safety().level()).isEqualTo("safe");
    assertThat(before.safety().title()).isEqualTo("Interrupted before the point of no return");

    RunPicture inside =
        RunPicture.of(
            run("interrupted", "Interrupted: ...", "ApplyMigrations", steps("StopApplications")),
            UPGRADE,
            List.of());
    assertThat(inside.safety().level()).isEqualTo("danger");
    assertThat(inside.safety().detail()).contains("Restoring by hand");
    assertThat(level(run("abandoned", "x", "ApplyMigrations", steps("StopApplications"))))
        .isEqualTo("danger");
    assertThat(level(run("cancelled", "x", "RehearseRestore", steps("PlanUpgrade"))))
        .isEqualTo("safe");
  }

  @Test
  void aRunbookWithoutAPointOfNoReturnSaysSo() {
    RunPicture picture =
        RunPicture.of(run("completed", "ok", "AllHealthy", steps()), null, List.of());
    assertThat(picture.safety().level()).isEqualTo("unknown");
  }

  private static String level(RunView run) {
    return RunPicture.of(run, UPGRADE, List.of()).safety().level();
  }

  private static List<RunView.Step> steps(String... completed) {
    List<RunView.Step> steps = new ArrayList<>();
    for (String element : completed) {
      steps.add(step(element, "completed"));
    }
    return steps;
  }

  private static RunView.Step step(String element, String state) {
    Instant at = Instant.parse("2026-11-22T10:00:00Z");
    return new RunView.Step(element, "upshift.x.y", 1, state, "summary", at, at, 10L);
  }

  private static RunView run(
      String state, String outcome, String current, List<RunView.Step> steps) {
    return new RunView(
        "8f9e4b8e-1a7c-4bb3-9b3e-7b3f0c2d1e55",
        "platform-upgrade",
        1,
        1L,
        state,
        current,
        null,
        null,
        outcome,
        "operator",
        Instant.parse("2026-11-22T10:00:00Z"),
        null,
        steps);
  }

  private static ApprovalTask task(String element, String state) {
    return new ApprovalTask(
        1,
        2,
        "8f9e4b8e-1a7c-4bb3-9b3e-7b3f0c2d1e55",
        1,
        "platform-upgrade",
        element,
        element,
        List.of("approvers"),
        null,
        null,
        null,
        state,
        null,
        null,
        null,
        null,
        Instant.parse("2026-11-22T10:00:00Z"),
        List.of());
  }
}
