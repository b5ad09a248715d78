package io.upshift.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.approval.ApprovalTask;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/** The approval inbox from a test's point of view: wait for a run's task, decide it. */
public final class Approvals {

  private Approvals() {}

  /** The run's waiting approval task, once the run reaches it. */
  public static ApprovalTask awaitTask(TestRestTemplate rest, String runId) {
    TestRestTemplate viewer = TestUsers.as(rest, TestUsers.VIEWER);
    return await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(300))
        .until(
            () -> viewer.getForObject("/api/approvals?runId=" + runId, ApprovalTask[].class),
            tasks -> tasks.length > 0)[0];
  }

  /** The run's waiting tasks right now. */
  public static java.util.List<ApprovalTask> waiting(TestRestTemplate rest, String runId) {
    return java.util.List.of(
        TestUsers.as(rest, TestUsers.VIEWER)
            .getForObject("/api/approvals?runId=" + runId, ApprovalTask[].class));
  }

  /** Decides a task as the test approver (never the requester, who is the test operator). */
  public static void decide(
      TestRestTemplate rest, ApprovalTask task, String decision, String comment) {
    ResponseEntity<Map> response =
        TestUsers.as(rest, TestUsers.APPROVER)
            .postForEntity(
                "/api/approvals/" + task.id() + "/decision",
                Map.of("decision", decision, "comment", comment),
                Map.class);
    assertThat(response.getStatusCode())
        .as(String.valueOf(response.getBody()))
        .isEqualTo(HttpStatus.OK);
  }
}
