package io.upshift.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.BoundaryEvent;
import io.camunda.zeebe.model.bpmn.instance.ErrorEventDefinition;
import io.camunda.zeebe.model.bpmn.instance.ExclusiveGateway;
import io.camunda.zeebe.model.bpmn.instance.SequenceFlow;
import io.camunda.zeebe.model.bpmn.instance.ServiceTask;
import io.camunda.zeebe.model.bpmn.instance.TimerEventDefinition;
import io.camunda.zeebe.model.bpmn.instance.UserTask;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeHeader;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeTaskHeaders;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guided failure in platform-upgrade: every step whose exhausted retries raise {@code STEP_FAILED}
 * catches it, waits at "Decide on the failed step" and can be retried from there; on the real
 * engine, retry runs the same step again, abort ends the run {@code failed} and the timer takes the
 * safe choice (abort) by itself.
 */
class GuidedFailureModelTest {

  private static final Path MODEL =
      Path.of("src/main/resources/bpmn/platform-upgrade.bpmn").toAbsolutePath();
  private static final String STEP_FAILED = "STEP_FAILED";
  private static final String USER_TASK = "io.camunda.zeebe:userTask";

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
        .addResourceFile(MODEL.toString())
        .requestTimeout(Duration.ofMinutes(2))
        .send()
        .join();
  }

  @AfterAll
  static void stopEngine() {
    testEngine.close();
  }

  @Test
  void everyStepThatAsksForADecisionCatchesItAndCanBeRetried() throws IOException {
    BpmnModelInstance model;
    try (InputStream in = Files.newInputStream(MODEL)) {
      model = Bpmn.readModelFromStream(in);
    }
    List<String> asking = new ArrayList<>();
    for (ServiceTask task : model.getModelElementsByType(ServiceTask.class)) {
      if (STEP_FAILED.equals(header(task, "upshift.onFailure"))) {
        asking.add(task.getId());
      }
    }
    assertThat(asking)
        .as("steps before the point of no return that ask a person when they fail")
        .containsExactlyInAnyOrder(
            "PlanUpgrade", "PreflightCheck", "BackUpPlatform", "RehearseRestore", "RecheckPlan");

    UserTask decide = model.getModelElementById("DecideFailedStep");
    ExclusiveGateway retry = model.getModelElementById("RetryFailedStep");
    List<String> problems = new ArrayList<>();
    for (String id : asking) {
      List<BoundaryEvent> catching =
          model.getModelElementsByType(BoundaryEvent.class).stream()
              .filter(b -> b.getAttachedTo().getId().equals(id))
              .filter(GuidedFailureModelTest::catchesStepFailed)
              .toList();
      if (catching.size() != 1
          || catching.get(0).getOutgoing().stream()
              .noneMatch(f -> f.getTarget().getId().equals(decide.getId()))) {
        problems.add(id + ": no STEP_FAILED boundary leading to " + decide.getId());
      }
      boolean retried =
          retry.getOutgoing().stream()
              .anyMatch(
                  f ->
                      f.getTarget().getId().equals(id)
                          && f.getConditionExpression() != null
                          && f.getConditionExpression()
                              .getTextContent()
                              .contains("failedStep.elementId = \"" + id + "\""));
      if (!retried) {
        problems.add(id + ": " + retry.getId() + " has no flow back to it on retry");
      }
      if ("true".equals(header(model.getModelElementById(id), "upshift.optional"))) {
        problems.add(id + ": marked optional, but no skip route is modelled before the cutover");
      }
    }
    assertThat(problems).isEmpty();

    Set<String> decideBoundaries =
        model.getModelElementsByType(BoundaryEvent.class).stream()
            .filter(b -> b.getAttachedTo() == decide)
            .filter(b -> !b.getEventDefinitions().isEmpty())
            .filter(b -> b.getEventDefinitions().iterator().next() instanceof TimerEventDefinition)
            .map(BoundaryEvent::getId)
            .collect(Collectors.toSet());
    assertThat(decideBoundaries)
        .as("the decision's timeout")
        .containsExactly("FailedStepDecisionExpired");
    ExclusiveGateway choice = model.getModelElementById("FailedStepChoice");
    SequenceFlow fallback = choice.getDefault();
    assertThat(fallback.getTarget().getId())
        .as("without a retry the run aborts: the safe choice")
        .isEqualTo("RecordAbort");
  }

  @Test
  void retryRunsTheStepAgainAndAbortEndsTheRunFailedWithNothingChanged() {
    long instance = start("PT1H");
    complete("upshift.plan.compute", Map.of());
    failStep("upshift.preflight.check", "PreflightCheck", "disk full");

    ActivatedJob task = awaitJobs(USER_TASK).get(0);
    assertThat(task.getElementId()).isEqualTo("DecideFailedStep");
    @SuppressWarnings("unchecked")
    Map<String, Object> evidence = (Map<String, Object>) task.getVariablesAsMap().get("evidence");
    assertThat(evidence.get("choices")).isEqualTo(List.of("retry", "abort"));
    assertThat(evidence.get("safeChoice")).isEqualTo("abort");
    assertThat(task.getCustomHeaders()).containsKey("io.camunda.zeebe:dueDate");
    client
        .newCompleteCommand(task.getKey())
        .variables(Map.of("failureDecision", "retry", "failureDecidedBy", "approver"))
        .send()
        .join();

    // The same step runs again; it fails once more and this time the person aborts.
    failStep("upshift.preflight.check", "PreflightCheck", "disk still full");
    task = awaitJobs(USER_TASK).get(0);
    client
        .newCompleteCommand(task.getKey())
        .variables(Map.of("failureDecision", "abort", "failureDecidedBy", "approver"))
        .send()
        .join();

    ActivatedJob end = awaitJobs("upshift.run.end").get(0);
    assertThat(end.getProcessInstanceKey()).isEqualTo(instance);
    assertThat(end.getElementId()).isEqualTo("AbortedNothingChanged");
    assertThat(end.getVariablesAsMap().get("outcome")).isEqualTo("failed");
    assertThat((String) end.getVariablesAsMap().get("outcomeMessage"))
        .isEqualTo(
            "Aborted by approver after step PreflightCheck failed: disk still full; nothing on the"
                + " platform was changed");
    client.newCompleteCommand(end.getKey()).send().join();
  }

  @Test
  void withoutADecisionTheTimerTakesTheSafeChoice() {
    long instance = start("PT2H");
    complete("upshift.plan.compute", Map.of());
    complete("upshift.preflight.check", Map.of());
    failStep("upshift.backup.database", "BackUpPlatform", "no space left on device");
    ActivatedJob task = awaitJobs(USER_TASK).get(0);
    assertThat(task.getElementId()).isEqualTo("DecideFailedStep");

    engine.increaseTime(Duration.ofHours(2).plusMinutes(1));
    ActivatedJob expire = awaitJobs("upshift.approval.expire").get(0);
    assertThat(expire.getCustomHeaders()).containsEntry("upshift.task", "DecideFailedStep");
    assertThat(expire.getVariablesAsMap().get("failureDecision")).isEqualTo("abort");
    client.newCompleteCommand(expire.getKey()).send().join();

    ActivatedJob end = awaitJobs("upshift.run.end").get(0);
    assertThat(end.getProcessInstanceKey()).isEqualTo(instance);
    assertThat(end.getElementId()).isEqualTo("AbortedNothingChanged");
    assertThat(end.getVariablesAsMap().get("outcome")).isEqualTo("failed");
    assertThat((String) end.getVariablesAsMap().get("outcomeMessage"))
        .startsWith("No decision in time on the failed step, so the safe choice was taken")
        .contains("BackUpPlatform failed: no space left on device");
    client.newCompleteCommand(end.getKey()).send().join();
  }

  private static long start(String timeout) {
    return client
        .newCreateInstanceCommand()
        .bpmnProcessId("platform-upgrade")
        .latestVersion()
        .variables(Map.of("runId", "guided-" + timeout, "failureDecisionTimeout", timeout))
        .send()
        .join()
        .getProcessInstanceKey();
  }

  /** What JobSteps does when a step with upshift.onFailure = STEP_FAILED used its retries. */
  private static void failStep(String type, String elementId, String message) {
    ActivatedJob job = awaitJobs(type).get(0);
    assertThat(job.getElementId()).isEqualTo(elementId);
    Map<String, Object> failedStep =
        Map.of("elementId", elementId, "jobType", type, "message", message, "optional", false);
    client
        .newThrowErrorCommand(job.getKey())
        .errorCode(STEP_FAILED)
        .errorMessage(elementId + ": " + message)
        .variables(Map.of("failure", elementId + ": " + message, "failedStep", failedStep))
        .send()
        .join();
  }

  private static void complete(String type, Map<String, Object> variables) {
    ActivatedJob job = awaitJobs(type).get(0);
    client.newCompleteCommand(job.getKey()).variables(variables).send().join();
  }

  private static boolean catchesStepFailed(BoundaryEvent boundary) {
    return boundary.getEventDefinitions().stream()
        .anyMatch(
            d ->
                d instanceof ErrorEventDefinition error
                    && error.getError() != null
                    && STEP_FAILED.equals(error.getError().getErrorCode()));
  }

  private static String header(
      io.camunda.zeebe.model.bpmn.instance.BaseElement element, String key) {
    if (element.getExtensionElements() == null) {
      return null;
    }
    for (ZeebeTaskHeaders headers :
        element.getExtensionElements().getChildElementsByType(ZeebeTaskHeaders.class)) {
      for (ZeebeHeader header : headers.getHeaders()) {
        if (key.equals(header.getKey())) {
          return header.getValue();
        }
      }
    }
    return null;
  }

  private static List<ActivatedJob> awaitJobs(String type) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<ActivatedJob> jobs = activate(type);
    while (jobs.isEmpty() && System.nanoTime() < deadline) {
      try {
        engine.waitForIdleState(Duration.ofSeconds(2));
      } catch (Exception e) {
        // keep polling until the deadline
      }
      jobs = activate(type);
    }
    assertThat(jobs).as("jobs of type %s", type).isNotEmpty();
    return jobs;
  }

  private static List<ActivatedJob> activate(String type) {
    return client
        .newActivateJobsCommand()
        .jobType(type)
        .maxJobsToActivate(10)
        .requestTimeout(Duration.ofMillis(200))
        .send()
        .join()
        .getJobs();
  }
}
