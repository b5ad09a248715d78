package io.upshift.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.camunda.client.CamundaClient;
import io.upshift.run.RunView;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The meters as Prometheus scrapes them from the whole service on the real embedded engine: one
 * passing and one failing health-check run against a real HTTP server, and one run stuck on an
 * incident. Also checks that the dashboard and the alert rules query only series Upshift exposes.
 */
@AutoConfigureObservability
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/metrics",
      // a fresh journal: the run gauges count what this test does, nothing left from earlier
      "spring.datasource.url=jdbc:h2:mem:metrics-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunMetricsIT {

  private static final String RUNBOOK = "health-check";
  private static final String HTTP = "upshift.verify.http";
  private static final String END = "upshift.run.end";

  /** Series Prometheus itself adds to every scrape target. */
  private static final Set<String> PROMETHEUS_SERIES = Set.of("up");

  @Autowired TestRestTemplate rest;

  @Autowired CamundaClient client;
  @Autowired JdbcClient jdbc;

  HttpServer server;
  String base;
  PrometheusScrape scrape;

  @BeforeAll
  void runOnePassingOneFailingAndOneStuckRun() throws IOException {
    // Runs are started by the test operator; the scrape endpoint stays open.
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ready", exchange -> answer(exchange, 200, "ready"));
    server.createContext("/down", exchange -> answer(exchange, 503, "database unreachable"));
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();

    assertThat(startAndAwait(List.of(Map.of("url", base + "/ready"))).state())
        .isEqualTo("completed");
    assertThat(
            startAndAwait(
                    List.of(
                        Map.of("url", base + "/ready"),
                        Map.of("url", base + "/down", "attempts", 2, "backoffSeconds", 0)))
                .state())
        .isEqualTo("failed");
    awaitIncident(startStuckRun());

    // A run's state is written by its end listener before that job's completion returns, and the
    // client counts the completion only then: wait for the last count before taking the scrape.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              scrape =
                  PrometheusScrape.parse(rest.getForObject("/actuator/prometheus", String.class));
              return scrape
                  .find("camunda_job_invocations_total", "action", "completed", "type", END)
                  .stream()
                  .anyMatch(sample -> sample.value() >= 2);
            });
  }

  @AfterAll
  void stopServer() {
    server.stop(0);
  }

  @Test
  void runsAreCountedByRunbookAndOutcome() {
    assertThat(scrape.value("upshift_runs_started_total", "runbook", RUNBOOK)).isEqualTo(2);
    assertThat(finished("completed")).isEqualTo(1);
    assertThat(finished("failed")).isEqualTo(1);
    for (String outcome :
        List.of("rolled_back", "rejected", "expired", "cancelled", "interrupted")) {
      assertThat(finished(outcome)).as("registered at zero: " + outcome).isZero();
    }
  }

  @Test
  void runDurationsAreTimedByRunbookAndOutcome() {
    for (String outcome : List.of("completed", "failed")) {
      String[] labels = {"runbook", RUNBOOK, "outcome", outcome};
      assertThat(scrape.value("upshift_run_duration_seconds_count", labels)).isEqualTo(1);
      assertThat(scrape.value("upshift_run_duration_seconds_sum", labels))
          .isGreaterThan(0)
          .isLessThan(60);
      assertThat(scrape.value("upshift_run_duration_seconds_max", labels)).isGreaterThan(0);
      assertThat(scrape.find("upshift_run_duration_seconds_bucket", labels))
          .as("histogram buckets")
          .hasSizeGreaterThan(5)
          .anySatisfy(b -> assertThat(b.labels()).containsEntry("le", "+Inf"));
    }
  }

  @Test
  void stepsAreTimedByJobTypeAndOutcome() {
    // passing run: 1 check; failing run: /ready completed, /down a BPMN error; stuck run: failed
    assertThat(steps(HTTP, "completed")).isEqualTo(2);
    assertThat(steps(HTTP, "error")).isEqualTo(1);
    assertThat(steps(HTTP, "failed")).isEqualTo(1);
    assertThat(
            scrape.value(
                "upshift_step_duration_seconds_sum", "job_type", HTTP, "outcome", "completed"))
        .isGreaterThan(0);
  }

  @Test
  void gaugesCountTheStuckRunAndApprovalsAreAtZero() {
    assertThat(scrape.value("upshift_runs_active")).isEqualTo(1);
    assertThat(scrape.value("upshift_runs_open_incidents")).isEqualTo(1);
    assertThat(scrape.value("upshift_approvals_waiting")).isZero();
    assertThat(scrape.value("upshift_approvals_overdue")).isZero();
    assertThat(scrape.value("upshift_approvals_oldest_wait_seconds")).isZero();
  }

  @Test
  void theCamundaClientsJobCountersStayExposed() {
    assertThat(scrape.value("camunda_job_invocations_total", "action", "activated", "type", HTTP))
        .isEqualTo(4);
    assertThat(scrape.value("camunda_job_invocations_total", "action", "completed", "type", HTTP))
        .isEqualTo(2);
    assertThat(scrape.value("camunda_job_invocations_total", "action", "completed", "type", END))
        .isEqualTo(2);
  }

  @Test
  void noSeriesCarriesARunId() {
    assertThat(scrape.samples())
        .allSatisfy(
            sample ->
                assertThat(sample.labels().values())
                    .as(sample.name())
                    .noneMatch(v -> v.matches(".*[0-9a-f]{8}-[0-9a-f]{4}-.*")));
  }

  @Test
  void theDashboardQueriesOnlySeriesUpshiftExposes() throws IOException {
    Set<String> known = exposed();
    Set<String> referenced = new HashSet<>();
    for (String query : MonitoringAssets.dashboardQueries()) {
      Set<String> names = PromQlNames.in(query);
      assertThat(names).as("metric names in %s", query).isNotEmpty();
      assertThat(known).as("series of %s", query).containsAll(names);
      referenced.addAll(names);
    }
    assertThat(MeterCatalog.upshiftFamilies())
        .as("every Upshift meter has a panel")
        .allSatisfy(
            family ->
                assertThat(referenced)
                    .as(family)
                    .anyMatch(name -> name.equals(family) || name.startsWith(family + "_")));
  }

  @Test
  void theAlertRulesQueryOnlySeriesUpshiftExposes() throws IOException {
    Set<String> known = exposed();
    for (MonitoringAssets.Alert alert : MonitoringAssets.alerts()) {
      Set<String> names = PromQlNames.in(alert.expr());
      assertThat(names).as(alert.name()).isNotEmpty();
      assertThat(known).as("series of %s: %s", alert.name(), alert.expr()).containsAll(names);
    }
  }

  /**
   * What the service exposes now, plus every meter UpshiftMetrics registers once recorded, plus
   * what Prometheus adds itself.
   */
  private Set<String> exposed() {
    Set<String> known = new HashSet<>(scrape.names());
    known.addAll(MeterCatalog.scrape().names());
    known.addAll(PROMETHEUS_SERIES);
    return known;
  }

  private double finished(String outcome) {
    return scrape.value("upshift_runs_finished_total", "runbook", RUNBOOK, "outcome", outcome);
  }

  private double steps(String jobType, String outcome) {
    return scrape.value(
        "upshift_step_duration_seconds_count", "job_type", jobType, "outcome", outcome);
  }

  private RunView startAndAwait(List<Map<String, Object>> checks) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", RUNBOOK, "variables", Map.of("checks", checks)),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    return awaitRun(started.getBody().id(), run -> !run.state().equals("active"));
  }

  /**
   * A run whose check has an invalid URL: the API would refuse it, so it is journaled and started
   * the way the run service does, but directly; the worker then raises an incident.
   */
  private String startStuckRun() {
    String runId = UUID.randomUUID().toString();
    jdbc.sql(
            "INSERT INTO run (id, runbook, runbook_version, state, started_at)"
                + " VALUES (?, ?, 1, 'active', ?)")
        .params(runId, RUNBOOK, Instant.now().atOffset(ZoneOffset.UTC))
        .update();
    client
        .newCreateInstanceCommand()
        .bpmnProcessId(RUNBOOK)
        .latestVersion()
        .variables(Map.of("runId", runId, "checks", List.of(Map.of("url", "not a url"))))
        .send()
        .join();
    return runId;
  }

  private void awaitIncident(String runId) {
    awaitRun(runId, run -> run.incident() != null);
  }

  private RunView awaitRun(String id, java.util.function.Predicate<RunView> done) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> rest.getForObject("/api/runs/{id}", RunView.class, id), done::test);
  }

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }
}
