package io.upshift.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.upshift.run.RunView;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/**
 * The whole service on the real embedded engine: the health-check runbook is started over the run
 * API and checks a real HTTP server started by this test.
 */
@AutoConfigureObservability
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/health-check",
      TestUsers.PROFILE
    })
class HealthCheckRunIT {

  static HttpServer server;
  static String base;
  static final AtomicInteger flakyCalls = new AtomicInteger();

  @Autowired TestRestTemplate rest;

  /** Every API call as a user who may start runs and read them. */
  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  @BeforeAll
  static void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ready", exchange -> answer(exchange, 200, "status: ready"));
    server.createContext("/down", exchange -> answer(exchange, 503, "database unreachable"));
    server.createContext(
        "/flaky",
        exchange -> {
          int call = flakyCalls.incrementAndGet();
          answer(exchange, call < 3 ? 503 : 200, call < 3 ? "warming up" : "ready");
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  @AfterAll
  static void stopServer() {
    server.stop(0);
  }

  @Test
  void healthyEndpointsCompleteTheRun() {
    RunView run =
        startAndAwait(
            List.of(
                Map.of("url", base + "/ready", "bodyContains", "ready"),
                Map.of("url", base + "/flaky", "attempts", 4, "backoffSeconds", 0)));

    assertThat(run.state()).isEqualTo("completed");
    assertThat(run.currentElement()).isEqualTo("AllHealthy");
    assertThat(run.endedAt()).isAfterOrEqualTo(run.startedAt());
    assertThat(run.steps())
        .hasSize(2)
        .allSatisfy(
            step -> {
              assertThat(step.jobType()).isEqualTo("upshift.verify.http");
              assertThat(step.state()).isEqualTo("completed");
              assertThat(step.durationMs()).isNotNull().isNotNegative();
            });
    assertThat(run.steps())
        .anySatisfy(
            step -> assertThat(step.summary()).contains("/flaky").contains("after 3 attempts"));
  }

  @Test
  void failingEndpointEndsTheRunFailedNamingUrlAndStatus() {
    RunView run =
        startAndAwait(
            List.of(
                Map.of("url", base + "/ready"),
                Map.of("url", base + "/down", "attempts", 2, "backoffSeconds", 0)));

    assertThat(run.state()).isEqualTo("failed");
    assertThat(run.currentElement()).isEqualTo("EndpointUnhealthy");
    assertThat(run.outcomeMessage())
        .contains(base + "/down")
        .contains("answered 503 (expected 200)")
        .contains("database unreachable");
  }

  @Test
  void unreachableEndpointFailsTheRun() {
    RunView run = startAndAwait(List.of(Map.of("url", "http://127.0.0.1:1/health", "attempts", 1)));

    assertThat(run.state()).isEqualTo("failed");
    assertThat(run.outcomeMessage())
        .contains("http://127.0.0.1:1/health")
        .contains("could not connect");
  }

  @Test
  void badInputIsRejectedNamingEveryField() {
    ResponseEntity<Map> response =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "health-check",
                "variables",
                Map.of(
                    "checks",
                    List.of(
                        Map.of("url", "ftp://example/x"),
                        Map.of(
                            "url", base + "/ready", "expectedStatus", 700, "attempts", "three")))),
            Map.class);

    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(response.getHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(fields(response))
        .containsExactlyInAnyOrder(
            "variables.checks[0].url",
            "variables.checks[1].expectedStatus",
            "variables.checks[1].attempts");
  }

  @Test
  void unknownRunbookAndMissingChecksAreRejected() {
    ResponseEntity<Map> unknown =
        rest.postForEntity(
            "/api/runs", Map.of("runbook", "nope", "variables", Map.of()), Map.class);
    assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(fields(unknown)).containsExactly("runbook");
    assertThat(unknown.getBody().get("detail").toString()).contains("health-check");

    ResponseEntity<Map> missing =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "health-check", "variables", Map.of("runId", "x")),
            Map.class);
    assertThat(fields(missing)).containsExactlyInAnyOrder("variables.runId", "variables.checks");

    ResponseEntity<Map> malformed =
        rest.postForEntity(
            "/api/runs",
            new org.springframework.http.HttpEntity<>(
                "{\"runbook\": \"health-check\", \"variables\": []}", jsonHeaders()),
            Map.class);
    assertThat(malformed.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(fields(malformed)).containsExactly("variables");
  }

  @Test
  void runListFiltersByStateAndRunbookAndNamesABadState() {
    RunView failed =
        startAndAwait(List.of(Map.of("url", "http://127.0.0.1:1/health", "attempts", 1)));
    RunView completed = startAndAwait(List.of(Map.of("url", base + "/ready")));

    RunView[] onlyFailed =
        rest.getForObject("/api/runs?state=failed&runbook=health-check&limit=500", RunView[].class);
    assertThat(onlyFailed)
        .extracting(RunView::id)
        .contains(failed.id())
        .doesNotContain(completed.id());
    assertThat(onlyFailed).extracting(RunView::state).containsOnly("failed");
    assertThat(rest.getForObject("/api/runs?runbook=no-such-runbook", RunView[].class)).isEmpty();

    ResponseEntity<Map> bad = rest.getForEntity("/api/runs?state=done&limit=0", Map.class);
    assertThat(bad.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(bad.getBody().toString())
        .contains("field=state")
        .contains("'done' is not one of active, completed")
        .contains("field=limit");
  }

  @Test
  void unknownAndMalformedRunIds() {
    assertThat(rest.getForEntity("/api/runs/not-a-uuid", Map.class).getStatusCode())
        .isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(
            rest.getForEntity("/api/runs/00000000-0000-0000-0000-000000000000", Map.class)
                .getStatusCode())
        .isEqualTo(HttpStatus.NOT_FOUND);
  }

  @Test
  void actuatorReportsEngineHealthAndClientMetrics() {
    startAndAwait(List.of(Map.of("url", base + "/ready")));

    ResponseEntity<Map> health = rest.getForEntity("/actuator/health", Map.class);
    assertThat(health.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(health.getBody().get("status")).isEqualTo("UP");
    assertThat(health.getBody().get("components").toString()).contains("camundaClient");

    String metrics = rest.getForObject("/actuator/prometheus", String.class);
    assertThat(metrics).contains("camunda_job_invocations_total").contains("upshift.verify.http");
  }

  private RunView startAndAwait(List<Map<String, Object>> checks) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "health-check", "variables", Map.of("checks", checks)),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    assertThat(started.getHeaders().getLocation()).hasPath("/api/runs/" + started.getBody().id());
    String id = started.getBody().id();
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> rest.getForObject("/api/runs/" + id, RunView.class),
            run -> !run.state().equals("active"));
  }

  @SuppressWarnings("unchecked")
  private static List<String> fields(ResponseEntity<Map> response) {
    return ((List<Map<String, Object>>) response.getBody().get("errors"))
        .stream().map(e -> (String) e.get("field")).toList();
  }

  private static org.springframework.http.HttpHeaders jsonHeaders() {
    var headers = new org.springframework.http.HttpHeaders();
    headers.setContentType(MediaType.APPLICATION_JSON);
    return headers;
  }
}
