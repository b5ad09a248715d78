package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a resume starts, read from the deployed platform-upgrade runbook. */
class ResumePointsTest {

  private final ResumePoints points = new ResumePoints();

  private static final Map<String, Object> KEPT =
      Map.of(
          "runId", "r1",
          "platform", "demo",
          "hops", List.of("1.1.0", "1.2.0"),
          "hop", "1.2.0",
          "loopCounter", 2);

  @Test
  void aStepOutsideAnyLoopIsStartedBeforeItself() {
    ResumePoints.Start start =
        points.resumeAt("platform-upgrade", "ApproveMaintenanceWindow", KEPT);
    assertThat(start.elementId()).isEqualTo("ApproveMaintenanceWindow");
    assertThat(start.variables()).containsEntry("hops", List.of("1.1.0", "1.2.0"));
    assertThat(start.variables()).doesNotContainKey("loopCounter");
  }

  @Test
  void aCutoverStepRestartsItsHopAndSkipsTheHopsBefore() {
    ResumePoints.Start start = points.resumeAt("platform-upgrade", "ApplyMigrations", KEPT);
    assertThat(start.elementId()).isEqualTo("Cutover");
    assertThat(start.variables()).containsEntry("hops", List.of("1.2.0"));
    assertThat(start.note()).contains("hop 1.2.0 (2 of 2)", "ApplyMigrations");
  }

  @Test
  void aRollbackStepInsideItsSubprocessIsStartedBeforeItself() {
    ResumePoints.Start start = points.resumeAt("platform-upgrade", "StartPreviousRelease", KEPT);
    assertThat(start.elementId()).isEqualTo("StartPreviousRelease");
  }

  @Test
  void theReminderBesideAWaitingApprovalIsNotAPosition() {
    assertThat(points.isPosition("platform-upgrade", "RemindApprovers")).isFalse();
    assertThat(points.isPosition("platform-upgrade", "ApproveMaintenanceWindow")).isTrue();
    assertThat(points.isPosition("platform-upgrade", "ApplyMigrations")).isTrue();
    // Reached through the interrupting boundary event of the cutover.
    assertThat(points.isPosition("platform-upgrade", "PlanRollback")).isTrue();
    assertThat(points.isPosition("platform-upgrade", "StartPreviousRelease")).isTrue();
    assertThat(points.isPosition("platform-upgrade", "DecideFailedStep")).isTrue();
    assertThat(points.isPosition("no-such-runbook", "X")).isTrue();
  }

  @Test
  void noStepYetMeansTheStartEvent() {
    assertThat(points.resumeAt("platform-upgrade", null, KEPT).elementId()).isNull();
  }

  @Test
  void aCutoverStepWithoutItsHopCannotBeResumed() {
    assertThatThrownBy(
            () ->
                points.resumeAt(
                    "platform-upgrade", "ApplyMigrations", Map.of("hops", List.of("1.1.0"))))
        .isInstanceOf(ResumePoints.NotResumable.class)
        .hasMessageContaining("which item of hops");
  }

  @Test
  void anElementTheModelNoLongerHasIsNamed() {
    assertThatThrownBy(() -> points.resumeAt("platform-upgrade", "Gone", KEPT))
        .isInstanceOf(ResumePoints.NotResumable.class)
        .hasMessageContaining("no element Gone");
  }

  @Test
  void theRollbackPathStartsAtTheRollbackPlan() {
    assertThat(points.rollbackEntry("platform-upgrade")).contains("PlanRollback");
    assertThat(points.rollbackEntry("health-check")).isEmpty();
  }
}
