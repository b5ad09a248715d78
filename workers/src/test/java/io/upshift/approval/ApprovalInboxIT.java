package io.upshift.approval;

import static io.upshift.support.TestUsers.ADMIN;
import static io.upshift.support.TestUsers.APPROVER;
import static io.upshift.support.TestUsers.OPERATOR;
import static io.upshift.support.TestUsers.VIEWER;
import static io.upshift.support.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.upshift.run.RunView;
import io.upshift.support.TestUsers;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;

/**
 * The approval inbox on the real embedded engine with the test runbook approval-demo (test
 * resources): a job-based user task with candidate group, due date, a reminder and an expiry timer.
 * Runs are started over the API as {@code operator} and decided over the API by other users.
 */
@AutoConfigureObservability
@RecordApplicationEvents
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/approval",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:approval-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
class ApprovalInboxIT {

  static final Map<String, Object> EVIDENCE =
      Map.of("path", "1.0.0 -> 1.1.0", "backup", Map.of("verified", true, "sizeBytes", 12345));

  @Autowired TestRestTemplate rest;
  @Autowired JdbcClient jdbc;
  @Autowired ApprovalService approvals;

  /** Events published on the test's own thread (the engine's job workers have theirs). */
  @Autowired ApplicationEvents events;

  @Test
  void approvedByAnotherUserCompletesTheRunAndIsAudited() {
    String planHash = "sha256-approve-" + System.nanoTime();
    RunView run = start(OPERATOR, Map.of("evidence", EVIDENCE, "planHash", planHash));
    ApprovalTask task = awaitTask(run.id());

    assertThat(task.name()).isEqualTo("Approve maintenance window");
    assertThat(task.elementId()).isEqualTo("ApproveMaintenanceWindow");
    assertThat(task.runbook()).isEqualTo("approval-demo");
    assertThat(task.processInstanceKey()).isEqualTo(run.processInstanceKey());
    assertThat(task.candidateGroups()).containsExactly("approvers");
    assertThat(task.state()).isEqualTo("waiting");
    assertThat(task.planHash()).isEqualTo(planHash);
    assertThat(task.evidence().get("path").asText()).isEqualTo("1.0.0 -> 1.1.0");
    assertThat(task.evidence().at("/backup/verified").asBoolean()).isTrue();
    assertThat(task.dueDate())
        .isCloseTo(Instant.now().plus(Duration.ofDays(3)), within(5, ChronoUnit.MINUTES));
    assertThat(openTasks(VIEWER)).extracting(ApprovalTask::id).contains(task.id());

    // Nobody anonymous, no viewer, and not the requester decides.
    ResponseEntity<Map> anonymous = rest.getForEntity("/api/approvals/" + task.id(), Map.class);
    assertThat(anonymous.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(anonymous.getHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(decide(null, task.id(), "approve", "").getStatusCode())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
    assertThat(decide(VIEWER, task.id(), "approve", "").getStatusCode())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(decide(OPERATOR, task.id(), "approve", "").getStatusCode())
        .isEqualTo(HttpStatus.FORBIDDEN);
    ResponseEntity<Map> wrongPassword =
        rest.withBasicAuth(APPROVER, "guess")
            .postForEntity(
                "/api/approvals/" + task.id() + "/decision",
                Map.of("decision", "approve"),
                Map.class);
    assertThat(wrongPassword.getStatusCode()).isEqualTo(HttpStatus.UNAUTHORIZED);

    ResponseEntity<Map> approved = decide(APPROVER, task.id(), "approve", "window Sat 02:00");
    assertThat(approved.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(approved.getBody()).containsEntry("state", "approved");
    assertThat(approved.getBody()).containsEntry("decidedBy", APPROVER);

    RunView ended = awaitEnd(run.id());
    assertThat(ended.state()).isEqualTo("completed");
    assertThat(ended.currentElement()).isEqualTo("WindowApproved");

    ApprovalTask decided = task(VIEWER, task.id());
    assertThat(decided.state()).isEqualTo("approved");
    assertThat(decided.comment()).isEqualTo("window Sat 02:00");
    assertThat(decided.audit())
        .singleElement()
        .satisfies(
            entry -> {
              assertThat(entry.decision()).isEqualTo("approved");
              assertThat(entry.decidedBy()).isEqualTo(APPROVER);
              assertThat(entry.planHash()).isEqualTo(planHash);
              assertThat(entry.runId()).isEqualTo(run.id());
              assertThat(entry.comment()).isEqualTo("window Sat 02:00");
            });
    assertThat(
            jdbc.sql(
                    "SELECT count(*) FROM approval_audit WHERE task_id = ? AND plan_hash = ?"
                        + " AND decided_by = ? AND decision = 'approved'")
                .params(task.id(), planHash, APPROVER)
                .query(Integer.class)
                .single())
        .isEqualTo(1);
    assertThat(openTasks(VIEWER)).extracting(ApprovalTask::id).doesNotContain(task.id());

    // A second decision on a decided task conflicts.
    ResponseEntity<Map> again = decide(APPROVER, task.id(), "reject", "too late");
    assertThat(again.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(again.getBody().get("detail").toString()).contains("approved");
  }

  @Test
  void theRequesterMayNotApproveTheirOwnRun() {
    RunView run = start(ADMIN, Map.of("evidence", EVIDENCE, "planHash", "sha256-own"));
    ApprovalTask task = awaitTask(run.id());
    assertThat(run.requestedBy()).isEqualTo(ADMIN);

    ResponseEntity<Map> own = decide(ADMIN, task.id(), "approve", "looks fine to me");
    assertThat(own.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(own.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(own.getBody().get("title")).isEqualTo("Separation of duties");
    assertThat(own.getBody().get("detail").toString())
        .contains("'admin' requested run " + run.id())
        .contains("another approver");
    assertThat(task(VIEWER, task.id()).state()).isEqualTo("waiting");

    assertThat(decide(APPROVER, task.id(), "approve", null).getStatusCode())
        .isEqualTo(HttpStatus.OK);
    assertThat(awaitEnd(run.id()).state()).isEqualTo("completed");
  }

  @Test
  void rejectionEndsTheRunRejected() {
    RunView run = start(OPERATOR, Map.of("evidence", EVIDENCE, "planHash", "sha256-reject"));
    ApprovalTask task = awaitTask(run.id());

    ResponseEntity<Map> rejected = decide(APPROVER, task.id(), "reject", "not during month end");
    assertThat(rejected.getStatusCode()).isEqualTo(HttpStatus.OK);

    RunView ended = awaitEnd(run.id());
    assertThat(ended.state()).isEqualTo("rejected");
    assertThat(ended.currentElement()).isEqualTo("WindowRejected");
    assertThat(ended.outcomeMessage()).isEqualTo("Rejected by approver: not during month end");
    assertThat(task(VIEWER, task.id()).state()).isEqualTo("rejected");
    assertThat(tasks(VIEWER, "rejected")).extracting(ApprovalTask::id).contains(task.id());
  }

  @Test
  void anUndecidedTaskExpiresWithItsRunAfterAReminder() {
    RunView run =
        start(
            OPERATOR,
            Map.of(
                "evidence",
                EVIDENCE,
                "planHash",
                "sha256-expire",
                // The reminder must find the task stored: 1 s was too close on a loaded machine.
                "reminderAfter",
                "PT3S",
                "approvalTimeout",
                "PT6S"));
    ApprovalTask task = awaitTask(run.id());
    assertThat(task.dueDate())
        .isCloseTo(Instant.now().plusSeconds(6), within(30, ChronoUnit.SECONDS));

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> task(VIEWER, task.id()).remindedAt() != null);

    RunView ended = awaitEnd(run.id());
    assertThat(ended.state()).isEqualTo("expired");
    assertThat(ended.currentElement()).isEqualTo("ApprovalTimedOut");
    assertThat(ended.steps())
        .anySatisfy(step -> assertThat(step.jobType()).isEqualTo("upshift.approval.remind"));

    ApprovalTask expired =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> task(VIEWER, task.id()), t -> !t.state().equals("waiting"));
    assertThat(expired.state()).isEqualTo("expired");
    assertThat(expired.audit())
        .singleElement()
        .satisfies(
            entry -> {
              assertThat(entry.decision()).isEqualTo("expired");
              assertThat(entry.decidedBy()).isEqualTo("upshift");
            });
    assertThat(decide(APPROVER, task.id(), "approve", "").getStatusCode())
        .isEqualTo(HttpStatus.CONFLICT);
  }

  @Test
  void aRedeliveredTaskJobStoresNoSecondRow() {
    RunView run = start(OPERATOR, Map.of("evidence", EVIDENCE, "planHash", "sha256-again"));
    ApprovalTask task = awaitTask(run.id());

    NewTask same =
        new NewTask(
            task.jobKey(),
            run.id(),
            task.processInstanceKey(),
            task.runbook(),
            task.elementId(),
            task.name(),
            task.candidateGroups(),
            task.dueDate(),
            task.evidence().toString(),
            task.planHash());
    assertThat(approvals.store(same)).isFalse();
    assertThat(approvals.store(same)).isFalse();
    assertThat(events.stream(ApprovalWaiting.class))
        .as("announced only when first stored")
        .isEmpty();
    assertThat(
            jdbc.sql("SELECT count(*) FROM approval_task WHERE job_key = ?")
                .param(task.jobKey())
                .query(Integer.class)
                .single())
        .isEqualTo(1);

    assertThat(decide(APPROVER, task.id(), "approve", "").getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(awaitEnd(run.id()).state()).isEqualTo("completed");
  }

  @Test
  void badInputIsRejectedNamingTheField() {
    RunView run = start(OPERATOR, Map.of("evidence", EVIDENCE, "planHash", "sha256-bad"));
    ApprovalTask task = awaitTask(run.id());

    ResponseEntity<Map> maybe = decide(APPROVER, task.id(), "maybe", "x".repeat(2001));
    assertThat(maybe.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(maybe.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(fields(maybe)).containsExactlyInAnyOrder("decision", "comment");

    ResponseEntity<Map> wrongShape =
        as(rest, APPROVER)
            .postForEntity(
                "/api/approvals/" + task.id() + "/decision",
                Map.of("decision", List.of("approve")),
                Map.class);
    assertThat(wrongShape.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(fields(wrongShape)).containsExactly("decision");

    assertThat(fields(decide(APPROVER, "abc", "approve"))).containsExactly("id");
    assertThat(decide(APPROVER, "12345", "approve").getStatusCode())
        .isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(fields(as(rest, VIEWER).getForEntity("/api/approvals?state=open", Map.class)))
        .containsExactly("state");
    assertThat(task(VIEWER, task.id()).state()).isEqualTo("waiting");

    assertThat(decide(APPROVER, task.id(), "reject", "cleaning up").getStatusCode())
        .isEqualTo(HttpStatus.OK);
    assertThat(awaitEnd(run.id()).state()).isEqualTo("rejected");
  }

  @Test
  void monitoringStaysOpenAndStartingNeedsTheOperatorRole() {
    assertThat(rest.getForEntity("/actuator/health", Map.class).getStatusCode())
        .isEqualTo(HttpStatus.OK);
    assertThat(rest.getForEntity("/actuator/prometheus", String.class).getStatusCode())
        .isEqualTo(HttpStatus.OK);
    assertThat(rest.getForEntity("/api/runs", String.class).getStatusCode())
        .isEqualTo(HttpStatus.UNAUTHORIZED);
    Map<String, Object> body = Map.of("runbook", "approval-demo", "variables", Map.of());
    assertThat(as(rest, VIEWER).postForEntity("/api/runs", body, Map.class).getStatusCode())
        .isEqualTo(HttpStatus.FORBIDDEN);
    assertThat(as(rest, APPROVER).postForEntity("/api/runs", body, Map.class).getStatusCode())
        .isEqualTo(HttpStatus.FORBIDDEN);
  }

  private RunView start(String user, Map<String, Object> variables) {
    ResponseEntity<RunView> started =
        as(rest, user)
            .postForEntity(
                "/api/runs",
                Map.of("runbook", "approval-demo", "variables", new HashMap<>(variables)),
                RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    assertThat(started.getBody().requestedBy()).isEqualTo(user);
    return started.getBody();
  }

  private ApprovalTask awaitTask(String runId) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                as(rest, VIEWER)
                    .exchange(
                        "/api/approvals?runId=" + runId,
                        HttpMethod.GET,
                        null,
                        new ParameterizedTypeReference<List<ApprovalTask>>() {})
                    .getBody(),
            list -> list.size() == 1)
        .get(0);
  }

  private RunView awaitEnd(String runId) {
    return await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> as(rest, VIEWER).getForObject("/api/runs/" + runId, RunView.class),
            run -> !run.state().equals("active"));
  }

  private List<ApprovalTask> openTasks(String user) {
    return tasks(user, null);
  }

  private List<ApprovalTask> tasks(String user, String state) {
    return as(rest, user)
        .exchange(
            "/api/approvals" + (state == null ? "" : "?state=" + state),
            HttpMethod.GET,
            null,
            new ParameterizedTypeReference<List<ApprovalTask>>() {})
        .getBody();
  }

  private ApprovalTask task(String user, long id) {
    ResponseEntity<ApprovalTask> response =
        as(rest, user).getForEntity("/api/approvals/" + id, ApprovalTask.class);
    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.OK);
    return response.getBody();
  }

  private ResponseEntity<Map> decide(String user, long id, String decision, String comment) {
    return decide(user, String.valueOf(id), decision, comment);
  }

  private ResponseEntity<Map> decide(String user, String id, String decision) {
    return decide(user, id, decision, null);
  }

  private ResponseEntity<Map> decide(String user, String id, String decision, String comment) {
    Map<String, Object> body = new HashMap<>();
    body.put("decision", decision);
    if (comment != null) {
      body.put("comment", comment);
    }
    TestRestTemplate client = user == null ? rest : as(rest, user);
    return client.postForEntity("/api/approvals/" + id + "/decision", body, Map.class);
  }

  @SuppressWarnings("unchecked")
  private static List<String> fields(ResponseEntity<Map> response) {
    return ((List<Map<String, Object>>) response.getBody().get("errors"))
        .stream().map(e -> (String) e.get("field")).toList();
  }
}
