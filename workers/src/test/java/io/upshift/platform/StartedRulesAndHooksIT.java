package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import io.upshift.compose.ComposeCli;
import io.upshift.compose.DockerClients;
import io.upshift.run.StepFailure;
import io.upshift.support.DemoPlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What "started" means and hooks, on a real Docker engine with a compose project of the demo's base
 * image: a service without a healthcheck counts as started after running 5 s (it never blocks or
 * fails the start), a log line and a Docker healthcheck are waited for, start stages run in order,
 * and hooks run in the running container or, for a stopped service, in a one-off container, with
 * their exit code and output recorded.
 */
class StartedRulesAndHooksIT {

  private static final String IMAGE = "localhost:5000/upshift-demo/base:bookworm";

  @TempDir Path dir;
  private String project;
  private Path work;

  private PlatformOperations setUp(String stages) throws Exception {
    DemoPlatform.repository(); // builds the images (the base image among them) when missing
    project = DemoPlatform.project("started");
    work = dir.resolve("work");
    Files.createDirectories(work);
    Files.writeString(work.resolve(".env"), "GREETING=ready to serve\n");
    Files.writeString(
        work.resolve("docker-compose.yml"),
        """
        services:
          quiet:          # no healthcheck, no port: running 5 s is started
            image: %1$s
            command: ["sleep", "infinity"]
            stop_grace_period: 1s
          talker:         # says when it is ready, a little later
            image: %1$s
            command: ["sh", "-c", "sleep 2; echo \\"$$GREETING\\"; exec sleep infinity"]
            environment:
              GREETING: ${GREETING}
            stop_grace_period: 1s
          checked:        # Docker's own healthcheck
            image: %1$s
            command: ["sleep", "infinity"]
            stop_grace_period: 1s
            healthcheck:
              test: ["CMD", "true"]
              interval: 1s
              retries: 3
        """
            .formatted(IMAGE));
    Files.writeString(
        work.resolve("upshift.yaml"),
        """
        descriptorVersion: 2
        platform: {name: started, version: "1.1.0"}
        compose: {file: docker-compose.yml}
        services:
          - {name: quiet, role: application, stopOrder: 1}
          - {name: talker, role: application, stopOrder: 1, started: {logLine: "ready to s.rve", timeoutSeconds: 60}}
          - {name: checked, role: application, stopOrder: 2}
        %s
        hooks:
          - at: afterStart
            service: quiet
            command: ["echo", "applied", "{previousVersion}", "->", "{version}"]
            timeoutSeconds: 60
          - at: afterMigrations
            service: quiet
            command: ["sh", "-c", "echo one-off in $$HOSTNAME; exit 0"]
          - at: beforeMigrations
            service: talker
            command: ["sh", "-c", "echo cannot apply {version} >&2; exit 3"]
        upgrade: {from: ["1.0.0"]}
        """
            .formatted(stages));
    var registry =
        new PlatformRegistry(
            Map.of("started", new PlatformRegistry.Registration("file:///none", work, project)));
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
  void servicesStartByTheirRulesAndAServiceWithoutHealthcheckNeverBlocks() throws Exception {
    PlatformOperations platforms =
        setUp(
            """
            stages:
              - stop: all
              - start: [checked]
                waitStarted: true
              - start: rest
            """);
    Map<String, String> states = platforms.startAndAwaitHealthy("started");

    assertThat(states)
        .containsExactly(
            Map.entry("quiet", "running"),
            Map.entry("talker", "healthy"),
            Map.entry("checked", "healthy"));
    try (DockerClient docker = DockerClients.local()) {
      Instant quiet = startedAt(docker, "quiet");
      Instant checked = startedAt(docker, "checked");
      assertThat(Duration.between(quiet, Instant.now()))
          .as("running 5 s before it counts as started")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
      assertThat(quiet)
          .as("the rest starts after the checked stage reported healthy")
          .isAfter(checked);
    }
  }

  @Test
  void hooksRunInTheRunningContainerOrAOneOffOneAndAFailureNamesItsExitAndOutput()
      throws Exception {
    PlatformOperations platforms = setUp("");
    PlatformHooks hooks = new PlatformHooks(platforms);
    platforms.startAndAwaitHealthy("started");

    var afterStart = hooks.run("started", "afterStart", "1.0.0");
    assertThat(afterStart).hasSize(1);
    assertThat(afterStart.get(0).ranIn()).isEqualTo("exec");
    assertThat(afterStart.get(0).exitCode()).isZero();
    assertThat(afterStart.get(0).command())
        .containsExactly("echo", "applied", "1.0.0", "->", "1.1.0");
    assertThat(afterStart.get(0).outputTail()).contains("applied 1.0.0 -> 1.1.0");

    ComposeCli.detect()
        .execute(
            work, project, "docker-compose.yml", Duration.ofMinutes(1), List.of("stop", "quiet"));
    var afterMigrations = hooks.run("started", "afterMigrations", "1.0.0");
    assertThat(afterMigrations.get(0).ranIn())
        .as("quiet is stopped: a one-off container")
        .isEqualTo("run");
    assertThat(afterMigrations.get(0).outputTail()).contains("one-off in");

    assertThatThrownBy(() -> hooks.run("started", "beforeMigrations", "1.0.0"))
        .isInstanceOf(StepFailure.class)
        .hasMessageContaining("Hook beforeMigrations in talker")
        .hasMessageContaining("exited 3")
        .hasMessageContaining("cannot apply 1.1.0");
  }

  private Instant startedAt(DockerClient docker, String service) {
    var containers =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    return Instant.parse(
        docker.inspectContainerCmd(containers.get(0).getId()).exec().getState().getStartedAt());
  }
}
