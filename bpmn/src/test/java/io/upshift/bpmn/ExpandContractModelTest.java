package io.upshift.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * platform-upgrade's pre- and post-deployment migrations on the real engine: the expand step runs
 * after the pull and before the stop, and its failure ends the run before the stop; the contract
 * step runs after the version is recorded, and its failure is not a cutover failure: it waits for a
 * person, who retries or leaves the versions pending (the run then completes with a warning), and
 * without a decision the timer leaves them pending. The service steps are completed by the test.
 */
class ExpandContractModelTest {

  static final String USER_TASK = "io.camunda.zeebe:userTask";
  static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(1);
  static final List<String> TO_THE_CONTRACT =
      List.of(
          "upshift.compose.pull",
          "upshift.migration.pre-deploy",
          "upshift.compose.stop",
          "upshift.backup.final",
          "upshift.git.checkout",
          "upshift.config.migrate",
          "upshift.migration.apply",
          "upshift.compose.up",
          "upshift.verify.platform",
          "upshift.platform.record-version");

  static TestEngine testEngine;
  static ZeebeTestEngine engine;
  static CamundaClient client;

  @BeforeAll
  static void startEngine() {
    testEngine = TestEngine.start();
    engine = testEngine.engine();
    client = testEngine.client();
    client
        .newDeployResourceCommand()
        .addResourceFile(Path.of("src/main/resources/bpmn/platform-upgrade.bpmn").toString())
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join();
  }

  @AfterAll
  static void stopEngine() {
    testEngine.close();
  }

  @Test
  void aFailedExpandEndsTheRunBeforeTheStop() {
    long instance = start("run-pre", "PT1H");
    complete(instance, "upshift.compose.pull");
    fail(instance, "upshift.migration.pre-deploy", "CUTOVER_NOT_STARTED", "V5.9 failed");
    ActivatedJob end = awaitJob(instance, "upshift.run.end");
    assertThat(end.getElementId()).isEqualTo("FailedNothingChanged");
    assertThat((String) end.getVariablesAsMap().get("outcomeMessage"))
        .contains("V5.9 failed")
        .contains("nothing was stopped");
    assertThat(activate(instance, "upshift.compose.stop")).isEmpty();
  }

  @Test
  void aFailedContractAsksAPersonRetryRunsItAgainAndLeavePendingCompletesTheHop() {
    long instance = start("run-post", "PT1H");
    TO_THE_CONTRACT.forEach(type -> complete(instance, type));
    fail(instance, "upshift.migration.post-deploy", "POST_DEPLOYMENT_FAILED", "V6 locked");
    assertThat(activate(instance, "upshift.rollback.plan")).as("no rollback").isEmpty();
    ActivatedJob decide = awaitJob(instance, USER_TASK);
    assertThat(decide.getElementId()).isEqualTo("DecidePostDeployment");
    @SuppressWarnings("unchecked")
    Map<String, Object> evidence = (Map<String, Object>) decide.getVariablesAsMap().get("evidence");
    assertThat(evidence.get("choices")).isEqualTo(List.of("retry", "leave-pending"));
    assertThat(evidence.get("safeChoice")).isEqualTo("leave-pending");
    decide(decide, "retry");

    fail(instance, "upshift.migration.post-deploy", "POST_DEPLOYMENT_FAILED", "V6 locked again");
    decide(awaitJob(instance, USER_TASK), "leave-pending");
    // The hop is done: the run goes on to the sign-off, with the warning as its message.
    ActivatedJob signOff = awaitJob(instance, USER_TASK);
    assertThat(signOff.getElementId()).isEqualTo("SignOffUpgrade");
    assertThat((String) signOff.getVariablesAsMap().get("outcomeMessage"))
        .contains("post-deployment migrations left pending")
        .contains("decided by alice")
        .contains("V6 locked again");
    assertThat(signOff.getVariablesAsMap().get("postDeploymentPending"))
        .isEqualTo(List.of("1.2.0"));
  }

  @Test
  void withoutADecisionTheContractIsLeftPending() {
    long instance = start("run-post-timer", "PT1S");
    TO_THE_CONTRACT.forEach(type -> complete(instance, type));
    fail(instance, "upshift.migration.post-deploy", "POST_DEPLOYMENT_FAILED", "V6 locked");
    awaitJob(instance, USER_TASK);
    engine.increaseTime(Duration.ofSeconds(5));
    ActivatedJob expire = awaitJob(instance, "upshift.approval.expire");
    assertThat(expire.getCustomHeaders()).containsEntry("upshift.task", "DecidePostDeployment");
    assertThat(expire.getVariablesAsMap().get("failureDecision")).isEqualTo("leave-pending");
    client.newCompleteCommand(expire.getKey()).requestTimeout(REQUEST_TIMEOUT).send().join();
    ActivatedJob signOff = awaitJob(instance, USER_TASK);
    assertThat(signOff.getElementId()).isEqualTo("SignOffUpgrade");
    assertThat((String) signOff.getVariablesAsMap().get("outcomeMessage"))
        .contains("no decision in time");
  }

  private static long start(String runId, String decisionTimeout) {
    Map<String, Object> hop = Map.of("from", "1.1.0", "to", "1.2.0", "manualSteps", List.of());
    return client
        .newCreateInstanceCommand()
        .bpmnProcessId("platform-upgrade")
        .latestVersion()
        .startBeforeElement("Cutover")
        .variables(
            Map.of(
                "platform",
                "demo",
                "runId",
                runId,
                "hops",
                List.of("1.2.0"),
                "plan",
                Map.of("hops", List.of(hop)),
                "postDeploymentDecisionTimeout",
                decisionTimeout))
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join()
        .getProcessInstanceKey();
  }

  /** What JobSteps does when a step's header upshift.onFailure names the code. */
  private static void fail(long instance, String type, String code, String message) {
    ActivatedJob job = awaitJob(instance, type);
    Map<String, Object> failedStep =
        Map.of(
            "elementId",
            job.getElementId(),
            "jobType",
            type,
            "message",
            message,
            "optional",
            false);
    client
        .newThrowErrorCommand(job.getKey())
        .errorCode(code)
        .errorMessage(message)
        .variables(Map.of("failure", job.getElementId() + ": " + message, "failedStep", failedStep))
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join();
  }

  private static void decide(ActivatedJob task, String choice) {
    client
        .newCompleteCommand(task.getKey())
        .variables(Map.of("failureDecision", choice, "failureDecidedBy", "alice"))
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join();
  }

  private static void complete(long instance, String type) {
    client
        .newCompleteCommand(awaitJob(instance, type).getKey())
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join();
  }

  private static ActivatedJob awaitJob(long instance, String type) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<ActivatedJob> jobs = activate(instance, type);
    while (jobs.isEmpty() && System.nanoTime() < deadline) {
      try {
        engine.waitForIdleState(Duration.ofSeconds(2));
      } catch (Exception e) {
        // keep polling until the deadline
      }
      jobs = activate(instance, type);
    }
    assertThat(jobs).as("a job of type %s", type).isNotEmpty();
    return jobs.get(0);
  }

  /** Activates the instance's jobs of a type (others' jobs come back after 1 s). */
  private static List<ActivatedJob> activate(long instance, String type) {
    List<ActivatedJob> jobs =
        client
            .newActivateJobsCommand()
            .jobType(type)
            .maxJobsToActivate(10)
            .timeout(Duration.ofSeconds(1))
            .requestTimeout(Duration.ofMillis(200))
            .send()
            .join()
            .getJobs();
    return jobs.stream().filter(j -> j.getProcessInstanceKey() == instance).toList();
  }
}
