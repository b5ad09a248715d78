package io.upshift.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Why platform-upgrade's rollback is an explicit, ordered subprocess driven by the cutover log and
 * not BPMN compensation: on the real engine, a compensation throw event hands out the handlers of
 * all completed activities at once (no reverse order), and never the handler of the activity that
 * failed half way (it was terminated, not completed). A rollback must stop, then restore files,
 * then the database, then start, and must undo a migration that failed after applying part of its
 * scripts.
 */
class CompensationSemanticsTest {

  static TestEngine testEngine;
  static ZeebeTestEngine engine;
  static CamundaClient client;

  @BeforeAll
  static void startEngine() {
    testEngine = TestEngine.start();
    engine = testEngine.engine();
    client = testEngine.client();
  }

  @AfterAll
  static void stopEngine() {
    testEngine.close();
  }

  /** stop -> migrate (fails) ; each with an undo handler; the failure throws compensation. */
  private static BpmnModelInstance saga() {
    return Bpmn.createExecutableProcess("compensation-probe")
        .startEvent()
        .subProcess(
            "Hop",
            hop ->
                hop.embeddedSubProcess()
                    .startEvent()
                    .serviceTask("Stop")
                    .zeebeJobType("stop")
                    .boundaryEvent("UndoStopOn")
                    .compensation(c -> c.serviceTask("UndoStop").zeebeJobType("undo-stop"))
                    .moveToActivity("Stop")
                    .serviceTask("Checkout")
                    .zeebeJobType("checkout")
                    .boundaryEvent("UndoCheckoutOn")
                    .compensation(c -> c.serviceTask("UndoCheckout").zeebeJobType("undo-checkout"))
                    .moveToActivity("Checkout")
                    .serviceTask("Migrate")
                    .zeebeJobType("migrate")
                    .boundaryEvent("UndoMigrateOn")
                    .compensation(c -> c.serviceTask("UndoMigrate").zeebeJobType("undo-migrate"))
                    .moveToActivity("Migrate")
                    .endEvent())
        .boundaryEvent("Failed")
        .error("FAILED")
        .intermediateThrowEvent("Compensate", e -> e.compensateEventDefinition())
        .endEvent()
        .moveToActivity("Hop")
        .endEvent()
        .done();
  }

  /**
   * The shape platform-upgrade needs: the hop is a subprocess, a step inside it fails, the error
   * boundary of the subprocess catches it and throws compensation. The subprocess was terminated,
   * so not even the completed steps inside it are compensated: nothing would be undone.
   */
  @Test
  void aFailureInsideTheHopSubprocessCompensatesNothing() throws Exception {
    client.newDeployResourceCommand().addProcessModel(saga(), "probe.bpmn").send().join();
    client
        .newCreateInstanceCommand()
        .bpmnProcessId("compensation-probe")
        .latestVersion()
        .send()
        .join();
    complete("stop");
    complete("checkout");
    ActivatedJob migrate = awaitJobs("migrate").get(0);
    client.newThrowErrorCommand(migrate.getKey()).errorCode("FAILED").send().join();
    engine.waitForIdleState(Duration.ofSeconds(5));

    assertThat(handlersWithin(Duration.ofSeconds(3), "undo-stop", "undo-checkout", "undo-migrate"))
        .isEmpty();
  }

  /** Completed steps of one scope: every handler is handed out at the same moment, no order. */
  @Test
  void compensationHandsOutEveryHandlerAtOnce() throws Exception {
    BpmnModelInstance flat =
        Bpmn.createExecutableProcess("compensation-flat")
            .startEvent()
            .serviceTask("Stop")
            .zeebeJobType("flat-stop")
            .boundaryEvent("UndoStopOn")
            .compensation(c -> c.serviceTask("UndoStop").zeebeJobType("flat-undo-stop"))
            .moveToActivity("Stop")
            .serviceTask("Checkout")
            .zeebeJobType("flat-checkout")
            .boundaryEvent("UndoCheckoutOn")
            .compensation(c -> c.serviceTask("UndoCheckout").zeebeJobType("flat-undo-checkout"))
            .moveToActivity("Checkout")
            .intermediateThrowEvent("Compensate")
            .compensateEventDefinition()
            .compensateEventDefinitionDone()
            .endEvent()
            .done();
    client.newDeployResourceCommand().addProcessModel(flat, "flat.bpmn").send().join();
    client
        .newCreateInstanceCommand()
        .bpmnProcessId("compensation-flat")
        .latestVersion()
        .send()
        .join();
    complete("flat-stop");
    complete("flat-checkout");

    // Both undo jobs are activatable together, before either completed: they run in parallel,
    // so "restore the database, then start" could not be ordered this way.
    assertThat(handlersWithin(Duration.ofSeconds(10), "flat-undo-stop", "flat-undo-checkout"))
        .containsExactlyInAnyOrder("flat-undo-stop", "flat-undo-checkout");
  }

  /**
   * Activates (never completes) handler jobs of the given types until two are seen or time is up.
   */
  private static List<String> handlersWithin(Duration time, String... types) throws Exception {
    List<String> handlers = new ArrayList<>();
    long deadline = System.nanoTime() + time.toNanos();
    while (handlers.size() < 2 && System.nanoTime() < deadline) {
      for (String type : types) {
        for (ActivatedJob job : activate(type)) {
          handlers.add(type);
        }
      }
      Thread.sleep(100);
    }
    return handlers;
  }

  private static void complete(String type) {
    for (ActivatedJob job : awaitJobs(type)) {
      client.newCompleteCommand(job.getKey()).send().join();
    }
  }

  private static List<ActivatedJob> awaitJobs(String type) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
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
