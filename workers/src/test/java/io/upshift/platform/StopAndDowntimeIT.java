package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.ComposeCli;
import io.upshift.compose.DockerClients;
import io.upshift.support.DemoPlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stop and the downtime users see, on a real Docker engine with a compose project of the demo's
 * base image whose services ignore SIGTERM (a process without a handler running as PID 1 does), so
 * every stop waits out the service's grace period: the services of one stop order stop at the same
 * time, each with its grace period (descriptor, else compose file), groups in order; the entry
 * point keeps answering during its grace period, and the downtime users see ends when it answers
 * again, well before every service counts as started.
 */
class StopAndDowntimeIT {

  private static final String IMAGE = "localhost:5000/upshift-demo/base:bookworm";

  @TempDir Path dir;
  private String project;
  private Path work;

  private PlatformOperations setUp() throws Exception {
    DemoPlatform.repository(); // builds the images (the base image among them) when missing
    project = DemoPlatform.project("downtime");
    work = dir.resolve("work");
    Files.createDirectories(work);
    int port = io.upshift.support.FreePorts.next();
    Files.writeString(work.resolve(".env"), "API_PORT=" + port + "\n");
    Files.writeString(
        work.resolve("docker-compose.yml"),
        """
        x-app: &app
          image: %1$s
          stop_grace_period: 12s
        services:
          api:            # python as PID 1 without a SIGTERM handler: killed after its 12 s
            <<: *app
            command: ["python3", "-m", "http.server", "8000", "--directory", "/tmp"]
            ports: ["127.0.0.1:${API_PORT}:8000"]
          worker:         # sleep as PID 1 ignores SIGTERM too; its 12 s come from the descriptor
            image: %1$s
            command: ["sleep", "infinity"]
          edge:
            image: %1$s
            command: ["sleep", "infinity"]
            stop_grace_period: 1s
        """
            .formatted(IMAGE));
    Files.writeString(
        work.resolve("upshift.yaml"),
        """
        descriptorVersion: 2
        platform: {name: downtime, version: "1.0.0"}
        compose: {file: docker-compose.yml}
        services:
          - {name: api, role: application, stopOrder: 1}
          - {name: worker, role: application, stopOrder: 1, stopGraceSeconds: 12}
          - {name: edge, role: application, stopOrder: 2, started: {runningSeconds: 6, timeoutSeconds: 60}}
        healthChecks:
          - {name: api, url: "http://127.0.0.1:${API_PORT}/", expectStatus: 200, timeoutSeconds: 30}
        upgrade: {from: []}
        """);
    var registry =
        new PlatformRegistry(
            Map.of("downtime", new PlatformRegistry.Registration("file:///none", work, project)));
    return new PlatformOperations(registry, dir.resolve("data"));
  }

  @AfterEach
  void down() {
    if (project != null && work != null) {
      ComposeCli.detect()
          .execute(
              work, project, "docker-compose.yml", Duration.ofMinutes(2), List.of("down", "-v"));
    }
  }

  @Test
  void aGroupStopsInParallelAndUsersSeeLessDowntimeThanAllServicesStarted() throws Exception {
    PlatformOperations platforms = setUp();
    assertThat(platforms.startAndAwaitHealthy("downtime")).containsValues("running");
    awaitAnswering(platforms);

    PlatformOperations.StopReport stop = platforms.stopAndWatch("downtime");

    Duration took = Duration.between(stop.began(), stop.ended());
    Instant api;
    Instant worker;
    Instant edge;
    try (DockerClient docker = DockerClients.local()) {
      api = finishedAt(docker, "api");
      worker = finishedAt(docker, "worker");
      edge = finishedAt(docker, "edge");
    }
    System.out.printf(
        "stop took %d ms (%s); finished after api %d ms, worker %d ms, edge %d ms;"
            + " entry point first unanswered after %d ms%n",
        took.toMillis(),
        stop.commands(),
        Duration.between(stop.began(), api).toMillis(),
        Duration.between(stop.began(), worker).toMillis(),
        Duration.between(stop.began(), edge).toMillis(),
        stop.firstUnanswered() == null
            ? -1
            : Duration.between(stop.began(), stop.firstUnanswered()).toMillis());
    assertThat(stop.stopped()).containsExactly("api", "worker", "edge");
    assertThat(stop.commands()).containsExactly("-t 12 api worker", "-t 1 edge");
    assertThat(Duration.between(api, worker).abs())
        .as("one group, stopped at the same time")
        .isLessThan(Duration.ofSeconds(1));
    assertThat(edge).as("the next group after").isAfter(api).isAfter(worker);
    // Each compose call costs 1-5 s of its own on a loaded 2-core machine (measured: 2.7 s and
    // 3.7 s at load 15); the grace periods alone, one service after another, are 25 s.
    assertThat(took)
        .as("api and worker ignore SIGTERM for 12 s each, edge 1 s: one after another is 25 s")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(13))
        .isLessThan(Duration.ofSeconds(25));
    assertThat(stop.entryPointsDeclared()).isTrue();
    assertThat(stop.firstUnanswered())
        .as("the API kept answering during its grace period, until it was killed")
        .isNotNull()
        .isAfter(stop.began().plusSeconds(11))
        .isBefore(stop.ended());

    Instant allStarted;
    Optional<Instant> answered;
    try (PlatformOperations.EntryPointWatch watch = platforms.watchEntryPoints("downtime")) {
      Map<String, String> states = platforms.startAndAwaitHealthy("downtime");
      assertThat(states.values()).allMatch(PlatformOperations::isStarted);
      allStarted = Instant.now();
      answered = watch.allAnswered(Duration.ofSeconds(30));
    }
    assertThat(answered).isPresent();
    double downtimeSeconds = Duration.between(stop.began(), allStarted).toMillis() / 1000.0;
    double userVisibleSeconds =
        Duration.between(stop.userVisibleStart(), answered.get()).toMillis() / 1000.0;
    System.out.printf(
        "downtimeSeconds %.3f, userVisibleDowntimeSeconds %.3f%n",
        downtimeSeconds, userVisibleSeconds);
    assertThat(answered.get()).as("the API answers before edge ran 6 s").isBefore(allStarted);
    assertThat(userVisibleSeconds).isPositive().isLessThanOrEqualTo(downtimeSeconds);
  }

  private static void awaitAnswering(PlatformOperations platforms) throws Exception {
    try (PlatformOperations.EntryPointWatch watch = platforms.watchEntryPoints("downtime")) {
      assertThat(watch.allAnswered(Duration.ofSeconds(30))).as("the API answers").isPresent();
    }
  }

  private Instant finishedAt(DockerClient docker, String service) {
    var containers =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    return Instant.parse(
        docker.inspectContainerCmd(containers.get(0).getId()).exec().getState().getFinishedAt());
  }
}
