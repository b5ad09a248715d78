package io.upshift.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import io.camunda.zeebe.process.test.engine.EngineFactory;
import java.net.URI;
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

  static ZeebeTestEngine engine;
  static CamundaClient client;

  @BeforeAll
  static void startEngine() {
    engine = EngineFactory.create();
    engine.start();
    client =
        CamundaClient.newClientBuilder()
            .grpcAddress(URI.create("http://" + engine.getGatewayAddress()))
            .preferRestOverGrpc(false)
            .build();
  }

  @AfterAll
  static void stopEngine() {
    client.close();
    engine.stop();
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

  @Test
  void compensationHandsOutEveryHandlerAtOnceAndSkipsTheFailedActivity() {
    client.newDeployResourceCommand().addProcessModel(saga(), "probe.bpmn").send().join();
    client
        .newCreateInstanceCommand()
        .bpmnProcessId("compensation-probe")
        .latestVersion()
        .send()
        .join();
    complete("stop");
    complete("checkout");
    ActivatedJob migrate = activate("migrate").get(0);
    client.newThrowErrorCommand(migrate.getKey()).errorCode("FAILED").send().join();

    // Both handlers of the completed activities are available at the same moment: no order.
    List<String> handlers = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (handlers.size() < 2 && System.nanoTime() < deadline) {
      engine.waitForIdleState(Duration.ofSeconds(2));
      for (String type : List.of("undo-stop", "undo-checkout", "undo-migrate")) {
        for (ActivatedJob job : activate(type)) {
          handlers.add(type);
        }
      }
    }
    assertThat(handlers).containsExactlyInAnyOrder("undo-stop", "undo-checkout");
    // The migration that failed half way is not compensated at all.
    assertThat(activate("undo-migrate")).isEmpty();
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
