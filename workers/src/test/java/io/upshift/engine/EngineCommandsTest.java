package io.upshift.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import io.camunda.client.CamundaClient;
import io.camunda.client.api.ProblemDetail;
import io.camunda.client.api.command.ClientException;
import io.camunda.client.api.command.ClientHttpException;
import io.camunda.client.api.command.ClientStatusException;
import io.camunda.client.api.command.ProblemException;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import io.camunda.zeebe.process.test.engine.EngineFactory;
import io.grpc.Status;
import io.upshift.engine.EngineCommandException.Outcome;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The engine's answers mean the same whatever the protocol: the client's own exception types for a
 * gRPC status and for an HTTP problem detail, and the real client over each protocol (the real
 * engine for gRPC, a stub server answering problem details for REST, as a cluster's REST API does).
 */
class EngineCommandsTest {

  @Test
  void grpcStatusesAndProblemDetailsMapToTheSameOutcomes() {
    assertThat(EngineCommandException.classify(grpc(Status.NOT_FOUND)))
        .isEqualTo(Outcome.NOT_FOUND);
    assertThat(EngineCommandException.classify(problem(404, "NOT_FOUND")))
        .isEqualTo(Outcome.NOT_FOUND);
    assertThat(EngineCommandException.classify(new ClientHttpException(404, "Not Found")))
        .isEqualTo(Outcome.NOT_FOUND);

    assertThat(EngineCommandException.classify(grpc(Status.FAILED_PRECONDITION)))
        .isEqualTo(Outcome.ALREADY_COMPLETED);
    assertThat(EngineCommandException.classify(grpc(Status.ALREADY_EXISTS)))
        .isEqualTo(Outcome.ALREADY_COMPLETED);
    assertThat(EngineCommandException.classify(problem(409, "INVALID_STATE")))
        .isEqualTo(Outcome.ALREADY_COMPLETED);

    assertThat(EngineCommandException.classify(grpc(Status.UNAVAILABLE)))
        .isEqualTo(Outcome.UNAVAILABLE);
    assertThat(EngineCommandException.classify(grpc(Status.DEADLINE_EXCEEDED)))
        .isEqualTo(Outcome.UNAVAILABLE);
    assertThat(EngineCommandException.classify(grpc(Status.RESOURCE_EXHAUSTED)))
        .isEqualTo(Outcome.UNAVAILABLE);
    assertThat(EngineCommandException.classify(problem(503, "UNAVAILABLE")))
        .isEqualTo(Outcome.UNAVAILABLE);
    assertThat(EngineCommandException.classify(problem(429, "RESOURCE_EXHAUSTED")))
        .isEqualTo(Outcome.UNAVAILABLE);
    assertThat(
            EngineCommandException.classify(
                new ClientException("Failed with code 0", new ConnectException("refused"))))
        .isEqualTo(Outcome.UNAVAILABLE);

    assertThat(EngineCommandException.classify(grpc(Status.INVALID_ARGUMENT)))
        .isEqualTo(Outcome.REJECTED);
    assertThat(EngineCommandException.classify(grpc(Status.PERMISSION_DENIED)))
        .isEqualTo(Outcome.REJECTED);
    assertThat(EngineCommandException.classify(problem(400, "INVALID_ARGUMENT")))
        .isEqualTo(Outcome.REJECTED);
    assertThat(EngineCommandException.classify(problem(401, "UNAUTHORIZED")))
        .isEqualTo(Outcome.REJECTED);
  }

  @Test
  void theOutcomeIsFoundThroughWrappersAndTheProblemStatusWins() {
    assertThat(EngineCommandException.classify(new CompletionException(grpc(Status.NOT_FOUND))))
        .isEqualTo(Outcome.NOT_FOUND);
    assertThat(
            EngineCommandException.classify(
                new ClientException("wrapped", problem(404, "NOT_FOUND"))))
        .isEqualTo(Outcome.NOT_FOUND);
    // The problem detail's own status is what the engine decided (the HTTP code may be generic).
    ProblemDetail detail = new ProblemDetail().setStatus(409).setTitle("INVALID_STATE");
    assertThat(EngineCommandException.classify(new ProblemException(500, "Conflict", detail)))
        .isEqualTo(Outcome.ALREADY_COMPLETED);

    EngineCommandException wrapped =
        EngineCommandException.of("complete job 42", problem(404, "NOT_FOUND"));
    assertThat(wrapped.notFound()).isTrue();
    assertThat(wrapped.getMessage())
        .startsWith("complete job 42: not found (HTTP 404 NOT_FOUND: ")
        .contains("Command 'TEST' rejected");
    assertThat(EngineCommandException.of("again", wrapped)).isSameAs(wrapped);
  }

  @Test
  void overGrpcTheRealEngineAnswersNotFoundForAJobOrInstanceThatIsGone() {
    ZeebeTestEngine engine = EngineFactory.create();
    engine.start();
    try (CamundaClient client =
        CamundaClient.newClientBuilder()
            .grpcAddress(URI.create("http://" + engine.getGatewayAddress()))
            .preferRestOverGrpc(false)
            .build()) {
      EngineCommands commands = new CamundaEngineCommands(client);
      assertOutcome(() -> commands.completeJob(2251799813685249L, Map.of()), Outcome.NOT_FOUND);
      assertOutcome(() -> commands.cancelInstance(2251799813685250L), Outcome.NOT_FOUND);
      assertOutcome(
          () -> commands.failJob(2251799813685251L, 0, Duration.ZERO, "x"), Outcome.NOT_FOUND);
      assertOutcome(() -> commands.startInstance("no-such-runbook", Map.of()), Outcome.NOT_FOUND);
    } finally {
      engine.stop();
    }
  }

  @Test
  void overGrpcAnEngineThatIsDownIsUnavailable() throws Exception {
    try (CamundaClient client =
        CamundaClient.newClientBuilder()
            .grpcAddress(URI.create("http://127.0.0.1:" + freePort()))
            .preferRestOverGrpc(false)
            .defaultRequestTimeout(Duration.ofSeconds(5))
            .build()) {
      assertOutcome(
          () -> new CamundaEngineCommands(client).completeJob(1, Map.of()), Outcome.UNAVAILABLE);
    }
  }

  @Test
  void overRestProblemDetailsMapLikeGrpcStatuses() throws Exception {
    List<String> requests = new ArrayList<>();
    int[] status = {404};
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
          exchange.getRequestBody().readAllBytes();
          byte[] body =
              ("{\"type\":\"about:blank\",\"title\":\""
                      + title(status[0])
                      + "\",\"status\":"
                      + status[0]
                      + ",\"detail\":\"Command rejected by the stub\",\"instance\":\""
                      + exchange.getRequestURI().getPath()
                      + "\"}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
          exchange.sendResponseHeaders(status[0], body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    String address = "http://127.0.0.1:" + server.getAddress().getPort();
    try (CamundaClient client =
        CamundaClient.newClientBuilder()
            .restAddress(URI.create(address))
            .grpcAddress(URI.create("http://127.0.0.1:" + freePort()))
            .preferRestOverGrpc(true)
            .defaultRequestTimeout(Duration.ofSeconds(10))
            .build()) {
      EngineCommands commands = new CamundaEngineCommands(client);

      status[0] = 404;
      EngineCommandException gone =
          assertOutcome(
              () -> commands.completeJob(42, Map.of("approved", true)), Outcome.NOT_FOUND);
      assertThat(gone.getCause()).isInstanceOf(ProblemException.class);
      assertOutcome(() -> commands.cancelInstance(43), Outcome.NOT_FOUND);

      status[0] = 409;
      assertOutcome(() -> commands.completeJob(42, Map.of()), Outcome.ALREADY_COMPLETED);

      status[0] = 503;
      assertOutcome(
          () -> commands.startInstance("platform-upgrade", Map.of()), Outcome.UNAVAILABLE);

      status[0] = 400;
      assertOutcome(() -> commands.throwError(44, "CODE", "message", null), Outcome.REJECTED);
    } finally {
      server.stop(0);
    }
    // The commands really went over REST.
    assertThat(requests)
        .contains(
            "POST /v2/jobs/42/completion",
            "POST /v2/process-instances/43/cancellation",
            "POST /v2/process-instances",
            "POST /v2/jobs/44/error");
  }

  private static EngineCommandException assertOutcome(Runnable command, Outcome expected) {
    EngineCommandException e = catchThrowableOfType(EngineCommandException.class, command::run);
    assertThat(e).as("an EngineCommandException").isNotNull();
    assertThat(e.outcome()).as(e.getMessage()).isEqualTo(expected);
    return e;
  }

  private static ClientStatusException grpc(Status status) {
    return new ClientStatusException(status.withDescription("Command 'TEST' rejected"), null);
  }

  private static ProblemException problem(int status, String title) {
    return new ProblemException(
        status,
        "Failed with code " + status,
        new ProblemDetail()
            .setStatus(status)
            .setTitle(title)
            .setDetail("Command 'TEST' rejected with code '" + title + "'"));
  }

  private static String title(int status) {
    return switch (status) {
      case 404 -> "NOT_FOUND";
      case 409 -> "INVALID_STATE";
      case 503 -> "UNAVAILABLE";
      default -> "INVALID_ARGUMENT";
    };
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
