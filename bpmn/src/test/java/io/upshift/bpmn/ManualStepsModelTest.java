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
 * platform-upgrade's manual steps on the real engine: a hop whose release declares manual steps
 * waits, at their point, for a person's task per step (the task's evidence carries the step's
 * text); a step marked done lets the cutover go on; a step refused fails the hop into the rollback
 * with the refusal as its failure. The cutover's service steps are completed by the test.
 */
class ManualStepsModelTest {

  static final String USER_TASK = "io.camunda.zeebe:userTask";

  /** Generous: on a loaded machine the engine answers slowly. */
  static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(1);

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

  private static long startAtTheCutover(List<Map<String, Object>> manualSteps) {
    Map<String, Object> hop = Map.of("from", "v1.1.0", "to", "v1.2.0", "manualSteps", manualSteps);
    return client
        .newCreateInstanceCommand()
        .bpmnProcessId("platform-upgrade")
        .latestVersion()
        .startBeforeElement("Cutover")
        .variables(
            Map.of(
                "platform",
                "ledger",
                "runId",
                "run-1",
                "hops",
                List.of("v1.2.0"),
                "plan",
                Map.of("hops", List.of(hop))))
        .send()
        .join()
        .getProcessInstanceKey();
  }

  @Test
  void aManualStepWaitsForAPersonAtItsPointAndDoneLetsTheCutoverGoOn() throws Exception {
    long instance =
        startAtTheCutover(
            List.of(
                Map.of("id", "set-quota", "at", "afterMigrations", "text", "Set the quota."),
                Map.of("id", "check-dash", "at", "afterStart", "text", "Look at the dashboard.")));
    for (String type :
        List.of(
            "upshift.compose.pull",
            "upshift.migration.pre-deploy",
            "upshift.compose.stop",
            "upshift.backup.final",
            "upshift.git.checkout",
            "upshift.config.migrate",
            "upshift.migration.apply")) {
      complete(instance, type, Map.of());
    }
    ActivatedJob quota = awaitJob(instance, USER_TASK);
    assertThat(quota.getElementId()).isEqualTo("ManualStepsAfterMigrations");
    assertThat(quota.getVariablesAsMap().get("evidence").toString())
        .contains("Set the quota.")
        .contains("set-quota");
    assertThat(activate(instance, "upshift.compose.up"))
        .as("the start waits for the manual step")
        .isEmpty();

    client
        .newCompleteCommand(quota.getKey())
        .variables(Map.of("approved", true, "approvedBy", "alice", "approvalComment", ""))
        .requestTimeout(REQUEST_TIMEOUT)
        .send()
        .join();
    complete(instance, "upshift.compose.up", Map.of());
    ActivatedJob dashboard = awaitJob(instance, USER_TASK);
    assertThat(dashboard.getElementId()).isEqualTo("ManualStepsAfterStart");
    assertThat(dashboard.getVariablesAsMap().get("evidence").toString())
        .contains("Look at the dashboard.");
    client
        .newCompleteCommand(dashboard.getKey())
        .variables(Map.of("approved", true, "approvedBy", "alice", "approvalComment", "ok"))
        .send()
        .join();
    awaitJob(instance, "upshift.verify.platform");
  }

  @Test
  void aHopWithoutManualStepsDoesNotWait() throws Exception {
    long instance = startAtTheCutover(List.of());
    for (String type :
        List.of(
            "upshift.compose.pull",
            "upshift.migration.pre-deploy",
            "upshift.compose.stop",
            "upshift.backup.final",
            "upshift.git.checkout",
            "upshift.config.migrate",
            "upshift.migration.apply",
            "upshift.compose.up")) {
      complete(instance, type, Map.of());
    }
    awaitJob(instance, "upshift.verify.platform");
    assertThat(activate(instance, USER_TASK)).isEmpty();
  }

  @Test
  void aRefusedManualStepRollsTheHopBackWithTheRefusalAsFailure() throws Exception {
    long instance =
        startAtTheCutover(
            List.of(
                Map.of("id", "set-quota", "at", "afterMigrations", "text", "Set the quota."),
                Map.of("id", "tell-team", "at", "afterMigrations", "text", "Tell the team.")));
    for (String type :
        List.of(
            "upshift.compose.pull",
            "upshift.migration.pre-deploy",
            "upshift.compose.stop",
            "upshift.backup.final",
            "upshift.git.checkout",
            "upshift.config.migrate",
            "upshift.migration.apply")) {
      complete(instance, type, Map.of());
    }
    ActivatedJob quota = awaitJob(instance, USER_TASK);
    client
        .newCompleteCommand(quota.getKey())
        .variables(
            Map.of("approved", false, "approvedBy", "alice", "approvalComment", "no access to it"))
        .send()
        .join();
    ActivatedJob team = awaitJob(instance, USER_TASK);
    assertThat(team.getVariablesAsMap().get("evidence").toString()).contains("Tell the team.");
    client
        .newCompleteCommand(team.getKey())
        .variables(Map.of("approved", true, "approvedBy", "alice", "approvalComment", ""))
        .send()
        .join();

    ActivatedJob rollback = awaitJob(instance, "upshift.rollback.plan");
    assertThat(rollback.getVariablesAsMap().get("failure"))
        .isEqualTo(
            "Manual step set-quota (afterMigrations) was not done, says alice: no access to it");
    assertThat(activate(instance, "upshift.compose.up")).as("nothing more of the hop").isEmpty();
  }

  private static void complete(long instance, String type, Map<String, Object> variables) {
    client
        .newCompleteCommand(awaitJob(instance, type).getKey())
        .variables(variables)
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
