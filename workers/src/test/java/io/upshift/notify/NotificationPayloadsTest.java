package io.upshift.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bodies webhooks receive, in both formats. */
class NotificationPayloadsTest {

  private static final String RUN_ID = "3f2a9c1e-5b7d-4e0f-9a1b-2c3d4e5f6a7b";
  private static final Instant STARTED = Instant.parse("2026-05-04T08:00:00Z");
  private static final Instant CREATED = Instant.parse("2026-05-04T08:05:00Z");
  private static final Instant DUE = Instant.parse("2026-05-07T08:05:00Z");

  private final NotificationPayloads payloads =
      new NotificationPayloads(new NotifyProperties("https://upshift.example.com/", List.of()));

  @Test
  void approvalWaitingCarriesTheRunTheApprovalAndLinksButNoEvidence() throws Exception {
    JsonNode body = payloads.json(Notification.approvalWaiting(task(null), run("active", null)));

    assertThat(body.get("id").asText()).isEqualTo("approval.waiting:42");
    assertThat(body.get("event").asText()).isEqualTo("approval.waiting");
    assertThat(body.get("occurredAt").asText()).isEqualTo("2026-05-04T08:05:00Z");
    assertThat(body.at("/run/id").asText()).isEqualTo(RUN_ID);
    assertThat(body.at("/run/runbook").asText()).isEqualTo("platform-upgrade");
    assertThat(body.at("/run/state").asText()).isEqualTo("active");
    assertThat(body.at("/run/requestedBy").asText()).isEqualTo("operator");
    assertThat(body.at("/run/startedAt").asText()).isEqualTo("2026-05-04T08:00:00Z");
    assertThat(body.at("/approval/id").asLong()).isEqualTo(42);
    assertThat(body.at("/approval/name").asText()).isEqualTo("Approve maintenance window");
    assertThat(body.at("/approval/dueAt").asText()).isEqualTo("2026-05-07T08:05:00Z");
    assertThat(body.at("/approval/planHash").asText()).isEqualTo("sha256-abc");
    assertThat(body.at("/approval/candidateGroups/0").asText()).isEqualTo("approvers");
    assertThat(body.at("/links/run").asText())
        .isEqualTo("https://upshift.example.com/runs/" + RUN_ID);
    assertThat(body.at("/links/approval").asText()).isEqualTo("https://upshift.example.com/inbox");
    assertThat(new ObjectMapper().writeValueAsString(body))
        .as("the evidence stays in the inbox")
        .doesNotContain("evidence", "secret-backup-path");
  }

  @Test
  void aRunEndNamesItsOutcomeAndLinksOnlyTheRun() {
    RunView run = run("rolled-back", "CheckOutRelease: tag 9.9.9 not found; rolled back to 1.0.0");
    JsonNode body =
        payloads.json(Notification.runEnded(NotificationEvent.RUN_ROLLED_BACK, run.endedAt(), run));

    assertThat(body.get("id").asText()).isEqualTo("run.rolled-back:" + RUN_ID);
    assertThat(body.get("event").asText()).isEqualTo("run.rolled-back");
    assertThat(body.at("/run/state").asText()).isEqualTo("rolled-back");
    assertThat(body.at("/run/outcomeMessage").asText()).startsWith("CheckOutRelease: tag 9.9.9");
    assertThat(body.at("/run/endedAt").asText()).isEqualTo("2026-05-04T09:00:00Z");
    assertThat(body.has("approval")).isFalse();
    assertThat(body.at("/links/run").asText()).endsWith("/runs/" + RUN_ID);
    assertThat(body.at("/links").has("approval")).isFalse();
  }

  @Test
  void anInstanceOutsideUpshiftHasNoRunAndNoRunLink() {
    JsonNode body = payloads.json(Notification.approvalWaiting(task(null), null));

    assertThat(body.has("run")).isFalse();
    assertThat(body.at("/links").has("run")).isFalse();
    assertThat(payloads.text(Notification.approvalWaiting(task(null), null)))
        .contains("platform-upgrade (not an Upshift run)");
  }

  @Test
  void slackGetsOneReadableParagraphWithLinks() {
    JsonNode body =
        payloads.body(
            NotifyProperties.Format.SLACK,
            Notification.approvalWaiting(task(null), run("active", null)));

    assertThat(body.size()).as("only text").isEqualTo(1);
    assertThat(body.get("text").asText())
        .isEqualTo(
            "Approval waiting: \"Approve maintenance window\" of run"
                + " <https://upshift.example.com/runs/"
                + RUN_ID
                + "|3f2a9c1e> (platform-upgrade, requested by operator) waits for a decision by"
                + " approvers; due 2026-05-07 08:05 UTC (in 3 days). Plan sha256-abc. Decide in"
                + " the <https://upshift.example.com/inbox|approvals inbox>.");
  }

  @Test
  void slackRemindsWithTheTimeLeft() {
    Instant reminded = DUE.minus(Duration.ofHours(5));
    String text =
        payloads.text(
            Notification.approvalExpiring(task(reminded), 777, reminded, run("active", null)));

    assertThat(text)
        .startsWith("Reminder: \"Approve maintenance window\" of run <")
        .contains("still waits for a decision; due 2026-05-07 08:05 UTC (in 5 hours).")
        .endsWith("|approvals inbox>.");
  }

  @Test
  void slackShowsTheStartOfALongPlanHash() {
    String hash = "9c0d4e7a1f2b" + "0".repeat(52);
    ApprovalTask task = task(null);
    ApprovalTask hashed =
        new ApprovalTask(
            task.id(),
            task.jobKey(),
            task.runId(),
            task.processInstanceKey(),
            task.runbook(),
            task.elementId(),
            task.name(),
            task.candidateGroups(),
            task.dueDate(),
            null,
            hash,
            task.state(),
            null,
            null,
            null,
            null,
            task.createdAt(),
            null);
    Notification waiting = Notification.approvalWaiting(hashed, run("active", null));

    assertThat(payloads.text(waiting)).contains(" Plan 9c0d4e7a1f2b…. ").doesNotContain(hash);
    assertThat(payloads.json(waiting).at("/approval/planHash").asText()).isEqualTo(hash);
  }

  @Test
  void slackSaysHowEachRunEnded() {
    assertThat(ended(NotificationEvent.RUN_COMPLETED, "completed", null))
        .isEqualTo(
            "Run <https://upshift.example.com/runs/"
                + RUN_ID
                + "|3f2a9c1e> of platform-upgrade (requested by operator) completed.");
    assertThat(ended(NotificationEvent.RUN_FAILED, "failed", "ApplyMigrations: V3.2 failed."))
        .endsWith("(requested by operator) failed: ApplyMigrations: V3.2 failed.");
    assertThat(ended(NotificationEvent.RUN_ROLLED_BACK, "rolled-back", "verification failed"))
        .endsWith(" failed and was rolled back: verification failed.");
    assertThat(ended(NotificationEvent.RUN_REJECTED, "rejected", "Rejected by approver: no"))
        .endsWith(" was rejected: Rejected by approver: no.");
    assertThat(ended(NotificationEvent.RUN_EXPIRED, "expired", null))
        .endsWith(" expired without a decision.");
  }

  @Test
  void slackControlCharactersInMessagesAreEscapedAndLongMessagesClipped() {
    assertThat(ended(NotificationEvent.RUN_FAILED, "failed", "expected <b> & got <a>"))
        .endsWith("failed: expected &lt;b&gt; &amp; got &lt;a&gt;.");
    String text = ended(NotificationEvent.RUN_FAILED, "failed", "x".repeat(5000));
    assertThat(text).endsWith("x…").hasSizeLessThan(NotificationPayloads.MAX_MESSAGE_CHARS + 200);
  }

  @Test
  void relativeTimesReadNaturally() {
    Instant now = Instant.parse("2026-05-04T08:00:00Z");
    assertThat(NotificationPayloads.relative(now, now.plusSeconds(20)))
        .isEqualTo("in less than a minute");
    assertThat(NotificationPayloads.relative(now, now.plus(Duration.ofMinutes(1))))
        .isEqualTo("in 1 minute");
    assertThat(NotificationPayloads.relative(now, now.plus(Duration.ofMinutes(90))))
        .isEqualTo("in 90 minutes");
    assertThat(NotificationPayloads.relative(now, now.plus(Duration.ofHours(47))))
        .isEqualTo("in 47 hours");
    assertThat(NotificationPayloads.relative(now, now.plus(Duration.ofDays(3))))
        .isEqualTo("in 3 days");
    assertThat(NotificationPayloads.relative(now, now.minus(Duration.ofHours(3))))
        .isEqualTo("3 hours ago");
  }

  private String ended(NotificationEvent event, String state, String message) {
    RunView run = run(state, message);
    JsonNode body =
        payloads.body(
            NotifyProperties.Format.SLACK, Notification.runEnded(event, run.endedAt(), run));
    return body.get("text").asText();
  }

  private static RunView run(String state, String outcomeMessage) {
    boolean ended = !state.equals("active");
    return new RunView(
        RUN_ID,
        "platform-upgrade",
        3,
        2251799813685249L,
        state,
        ended ? "RolledBack" : "ApproveMaintenanceWindow",
        null,
        null,
        outcomeMessage,
        "operator",
        STARTED,
        ended ? Instant.parse("2026-05-04T09:00:00Z") : null,
        List.of());
  }

  private static ApprovalTask task(Instant remindedAt) {
    return new ApprovalTask(
        42,
        2251799813685300L,
        RUN_ID,
        2251799813685249L,
        "platform-upgrade",
        "ApproveMaintenanceWindow",
        "Approve maintenance window",
        List.of("approvers"),
        DUE,
        new ObjectMapper().createObjectNode().put("backup", "secret-backup-path"),
        "sha256-abc",
        "waiting",
        null,
        null,
        null,
        remindedAt,
        CREATED,
        null);
  }
}
