package io.upshift.run;

import static io.upshift.support.TestUsers.OPERATOR;
import static io.upshift.support.TestUsers.VIEWER;
import static io.upshift.support.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import io.upshift.UpshiftApplication;
import io.upshift.compose.DockerClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.web.client.RestTemplateBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A restart of Upshift in embedded mode, for real: the service runs, a run holds a platform and
 * waits at its approval, the service stops (the embedded engine's state goes with it) and starts
 * again on the same H2 file database. The run is then {@code interrupted}, still holds its
 * platform, cannot be cancelled, and is abandoned by an operator, which frees the platform. Each
 * start also sweeps the Docker containers a killed step left for runs that no longer need them.
 */
class RunRestartIT {

  @Test
  void anActiveRunIsInterruptedByARestartAndAbandonedByAnOperator() throws Exception {
    Path data = Files.createTempDirectory(Path.of("target"), "run-restart-it").toAbsolutePath();
    Path repository =
        RunControlIT.releases(data.resolve("deployment"), "1.0.0", "1.1.0").toAbsolutePath();
    Map<String, Object> properties = new HashMap<>();
    properties.put("server.port", "0");
    properties.put("upshift.engine.port", "0");
    properties.put("upshift.data-dir", data.toString());
    properties.put("spring.datasource.url", "jdbc:h2:file:" + data.resolve("upshift"));
    properties.put("spring.profiles.active", "test-users");
    properties.put("upshift.platforms.lockdemo.repository", repository.toUri().toString());
    properties.put("upshift.platforms.lockdemo.working-directory", data.resolve("work").toString());
    properties.put("upshift.platforms.lockdemo.compose-project", "lockdemo");

    String runId;
    try (ConfigurableApplicationContext first = start(properties)) {
      TestRestTemplate rest = rest(first);
      Map<String, Object> variables = new HashMap<>();
      variables.put("platform", "lockdemo");
      variables.put("planHash", "sha256-restart");
      ResponseEntity<Map> started =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs",
                  Map.of("runbook", "approval-demo", "variables", variables),
                  Map.class);
      assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
      runId = started.getBody().get("id").toString();
      JdbcClient jdbc = first.getBean(JdbcClient.class);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  jdbc.sql("SELECT count(*) FROM approval_task WHERE run_id = ?")
                      .param(runId)
                      .query(Long.class)
                      .single(),
              n -> n == 1);
    }

    // What a kill -9 in the middle of a step leaves on Docker, labelled with the run id, and a
    // container of a run this Upshift never saw (another Upshift on the same daemon).
    String otherRun = UUID.randomUUID().toString();
    String scratch, migration, foreign, network;
    try (DockerClient docker = DockerClients.local()) {
      scratch = leftover(docker, "io.upshift.rehearsal", runId);
      migration = leftover(docker, "io.upshift.migration", runId);
      foreign = leftover(docker, "io.upshift.rehearsal", otherRun);
      network =
          docker
              .createNetworkCmd()
              .withName("upshift-rehearsal-" + runId)
              .withLabels(Map.of("io.upshift.rehearsal", runId))
              .exec()
              .getId();
    }

    try (ConfigurableApplicationContext second = start(properties)) {
      TestRestTemplate rest = rest(second);
      Map<?, ?> run = as(rest, VIEWER).getForObject("/api/runs/" + runId, Map.class);
      assertThat(run.get("state")).isEqualTo("interrupted");
      try (DockerClient docker = DockerClients.local()) {
        // The interrupted run rehearses again if resumed: its scratch server and network go. Its
        // migration container may still be migrating the live database: it stays while the run
        // is interrupted. The other Upshift's container is not ours to touch.
        assertThat(exists(docker, scratch)).as("scratch server of the interrupted run").isFalse();
        assertThat(docker.listNetworksCmd().withIdFilter(network).exec()).isEmpty();
        assertThat(exists(docker, migration)).as("migration container, run interrupted").isTrue();
        assertThat(exists(docker, foreign)).as("another Upshift's container").isTrue();
      }
      assertThat(run.get("endedAt")).isNotNull();
      assertThat(run.get("outcomeMessage").toString())
          .startsWith("Interrupted: Upshift restarted at ")
          .contains(
              "engine lost this run", "Last completed step: none", "resume it", "abandon the run");
      assertThat(
              as(rest, VIEWER).getForObject("/api/runs?state=interrupted", List.class).stream()
                  .map(r -> ((Map<?, ?>) r).get("id"))
                  .toList())
          .contains(runId);

      // The platform stays held: an interrupted upgrade is looked at before another starts.
      ResponseEntity<Map> upgrade =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs",
                  Map.of(
                      "runbook",
                      "platform-upgrade",
                      "variables",
                      Map.of("platform", "lockdemo", "targetVersion", "1.1.0")),
                  Map.class);
      assertThat(upgrade.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
      assertThat(upgrade.getBody()).containsEntry("runId", runId);
      assertThat(upgrade.getBody().get("detail").toString())
          .contains("has an interrupted run " + runId, "abandon");

      ResponseEntity<Map> cancel =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs/" + runId + "/cancel", Map.of("reason", "restart"), Map.class);
      assertThat(cancel.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
      assertThat(cancel.getBody().get("detail").toString()).contains("abandon it");

      ResponseEntity<Map> byViewer =
          as(rest, VIEWER)
              .postForEntity(
                  "/api/runs/" + runId + "/abandon", Map.of("reason", "checked"), Map.class);
      assertThat(byViewer.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);

      ResponseEntity<Map> abandoned =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs/" + runId + "/abandon",
                  Map.of("reason", "checked: platform untouched"),
                  Map.class);
      assertThat(abandoned.getStatusCode()).isEqualTo(HttpStatus.OK);
      assertThat(abandoned.getBody()).containsEntry("state", "abandoned");
      assertThat(abandoned.getBody().get("outcomeMessage").toString())
          .startsWith("Abandoned by operator: checked: platform untouched. ")
          .contains("interrupted before the cutover", "Before: Interrupted: Upshift restarted");
      JdbcClient jdbc = second.getBean(JdbcClient.class);
      assertThat(
              jdbc.sql("SELECT detail FROM audit_event WHERE target = ? AND action = 'run.abandon'")
                  .param(runId)
                  .query(String.class)
                  .list())
          .containsExactly("checked: platform untouched");
      assertThat(
              jdbc.sql("SELECT count(*) FROM platform_lock WHERE platform = 'lockdemo'")
                  .query(Long.class)
                  .single())
          .isZero();

      // The platform is free: the next start is accepted (and cancelled again here).
      Map<String, Object> variables = new HashMap<>();
      variables.put("platform", "lockdemo");
      ResponseEntity<Map> next =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs",
                  Map.of("runbook", "approval-demo", "variables", variables),
                  Map.class);
      assertThat(next.getStatusCode()).isEqualTo(HttpStatus.CREATED);
      ResponseEntity<Map> cleanup =
          as(rest, OPERATOR)
              .postForEntity(
                  "/api/runs/" + next.getBody().get("id") + "/cancel",
                  Map.of("reason", "test cleanup"),
                  Map.class);
      assertThat(cleanup.getStatusCode()).isEqualTo(HttpStatus.OK);
    }

    // Once the run has ended (abandoned), the next start removes its migration container too.
    try (ConfigurableApplicationContext third = start(properties);
        DockerClient docker = DockerClients.local()) {
      assertThat(exists(docker, migration)).as("migration container, run abandoned").isFalse();
      assertThat(exists(docker, foreign)).as("another Upshift's container").isTrue();
      docker.removeContainerCmd(foreign).withForce(true).exec();
    }
  }

  /** A created (never started) container with the label a step gives what it starts for a run. */
  private static String leftover(DockerClient docker, String label, String runId) {
    return docker
        .createContainerCmd("localhost:5000/upshift-demo/base:bookworm")
        .withCmd("true")
        .withLabels(Map.of(label, runId))
        .exec()
        .getId();
  }

  private static boolean exists(DockerClient docker, String containerId) {
    return !docker
        .listContainersCmd()
        .withShowAll(true)
        .withIdFilter(List.of(containerId))
        .exec()
        .isEmpty();
  }

  private static ConfigurableApplicationContext start(Map<String, Object> properties) {
    return new SpringApplicationBuilder(
            UpshiftApplication.class, RunControlIT.ApprovalDemoHoldsAPlatform.class)
        // As arguments: default properties (.properties) lose to application.yaml, and the run
        // would land in the shared default data directory.
        .run(
            properties.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new));
  }

  private static TestRestTemplate rest(ConfigurableApplicationContext context) {
    String port = context.getEnvironment().getProperty("local.server.port");
    return new TestRestTemplate(new RestTemplateBuilder().rootUri("http://127.0.0.1:" + port));
  }
}
