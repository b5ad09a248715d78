package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.platform.PlatformDescriptor.Role;
import io.upshift.platform.PlatformDescriptor.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Stop groups by stopOrder and each service's grace period: descriptor, compose file, default. */
class StopPlanTest {

  @Test
  void composeDurationsReadLikeCompose() {
    assertThat(StopPlan.duration("10s", "x")).isEqualTo(Duration.ofSeconds(10));
    assertThat(StopPlan.duration("1m30s", "x")).isEqualTo(Duration.ofSeconds(90));
    assertThat(StopPlan.duration("1h", "x")).isEqualTo(Duration.ofHours(1));
    assertThat(StopPlan.duration("1.5s", "x")).isEqualTo(Duration.ofMillis(1500));
    assertThat(StopPlan.duration("500ms", "x")).isEqualTo(Duration.ofMillis(500));
    assertThat(StopPlan.duration("2m3s500ms", "x")).isEqualTo(Duration.ofMillis(123_500));
    assertThat(StopPlan.duration(" 20 ", "x"))
        .as("a bare number is seconds")
        .isEqualTo(Duration.ofSeconds(20));
    assertThat(StopPlan.duration("0s", "x")).isEqualTo(Duration.ZERO);
  }

  @Test
  void aValueThatIsNoDurationNamesWhereItCameFrom() {
    for (String bad : List.of("", "ten", "10 s", "1m30", "s10", "-5s", "10d")) {
      assertThatThrownBy(
              () -> StopPlan.duration(bad, "docker-compose.yml: services.api.stop_grace_period"))
          .isInstanceOf(DescriptorException.class)
          .hasMessageContaining("services.api.stop_grace_period")
          .hasMessageContaining("is not a duration");
    }
  }

  @Test
  void composeGraceIsReadThroughMergeKeysAndInterpolated() {
    String compose =
        """
        x-app: &app
          image: app:1
          stop_grace_period: 1m30s
        services:
          api:
            <<: *app
          worker:
            <<: *app
            stop_grace_period: ${WORKER_GRACE:-5s}
          cron:
            image: cron:1
          db:
            image: postgres:15
            stop_grace_period: 2m
        """;
    Map<String, Duration> grace =
        StopPlan.composeGrace(compose, "docker-compose.yml", new EnvFile(Map.of()));
    assertThat(grace)
        .containsExactly(
            Map.entry("api", Duration.ofSeconds(90)),
            Map.entry("worker", Duration.ofSeconds(5)),
            Map.entry("db", Duration.ofMinutes(2)));
    assertThat(
            StopPlan.composeGrace(
                compose, "docker-compose.yml", new EnvFile(Map.of("WORKER_GRACE", "3s"))))
        .containsEntry("worker", Duration.ofSeconds(3));
  }

  @Test
  void groupsByStopOrderAscendingWithGraceFromDescriptorElseComposeElseTen() {
    PlatformDescriptor d =
        descriptor(
            new Service("proxy", Role.APPLICATION, 2, null, null, null),
            new Service("api", Role.APPLICATION, 1, null, 3, null),
            new Service("db", Role.DATABASE, 9, null, null, null),
            new Service("worker", Role.APPLICATION, 1, null, null, null),
            new Service("cron", Role.APPLICATION, 1, null, null, null));
    StopPlan plan =
        StopPlan.of(
            d,
            Map.of(
                "api", Duration.ofSeconds(60), // the descriptor's 3 s wins
                "worker", Duration.ofMillis(1500),
                "db", Duration.ofMinutes(2)));

    assertThat(plan.groups()).extracting(StopPlan.Group::stopOrder).containsExactly(1, 2);
    assertThat(plan.groups().get(0).grace())
        .containsExactly(
            Map.entry("api", Duration.ofSeconds(3)),
            Map.entry("worker", Duration.ofMillis(1500)),
            Map.entry("cron", Duration.ofSeconds(10)));
    assertThat(plan.groups().get(1).grace())
        .containsExactly(Map.entry("proxy", Duration.ofSeconds(10)));
    assertThat(plan.services())
        .as("the database is never stopped")
        .containsExactly("api", "worker", "cron", "proxy");
    // one compose call per distinct grace (whole seconds, rounded up), run at the same time
    assertThat(plan.groups().get(0).byGrace())
        .containsExactly(
            Map.entry(2, List.of("worker")),
            Map.entry(3, List.of("api")),
            Map.entry(10, List.of("cron")));
  }

  @Test
  void servicesWithTheSameGraceShareOneCall() {
    StopPlan plan =
        StopPlan.of(
            descriptor(
                new Service("a", Role.APPLICATION, 1, null, 5, null),
                new Service("b", Role.APPLICATION, 1, null, null, null)),
            Map.of("b", Duration.ofSeconds(5)));
    assertThat(plan.groups()).hasSize(1);
    assertThat(plan.groups().get(0).byGrace()).containsExactly(Map.entry(5, List.of("a", "b")));
  }

  @Test
  void theLedgerStopsApiAndWorkerTogetherThenManager() throws Exception {
    Path release = Path.of("..", "deploy", "ledger", "releases", "1.0.0");
    Path descriptors = Path.of("..", "deploy", "ledger", "descriptors", "1.0.0");
    PlatformDescriptor d =
        DescriptorReader.read(
            Files.readString(descriptors.resolve("upshift.yaml")), "ledger 1.0.0");
    StopPlan plan =
        StopPlan.of(
            d,
            StopPlan.composeGrace(
                Files.readString(release.resolve("docker-compose.yml")),
                "docker-compose.yml",
                new EnvFile(Map.of("LEDGER_DB_PASSWORD", "x", "API_PORT", "1"))));
    assertThat(plan.groups()).hasSize(2);
    assertThat(plan.groups().get(0).byGrace())
        .containsExactly(Map.entry(10, List.of("api", "worker")));
    assertThat(plan.groups().get(1).byGrace()).containsExactly(Map.entry(10, List.of("manager")));
  }

  static PlatformDescriptor descriptor(Service... services) {
    return new PlatformDescriptor(
        2,
        new PlatformDescriptor.Platform("p", "1.0.0", null, null),
        new PlatformDescriptor.Compose("docker-compose.yml", null, null),
        List.of(services),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }
}
