package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.upshift.platform.ReleaseRepository;
import io.upshift.platform.Version;
import io.upshift.run.RunView;
import io.upshift.support.DemoPlatform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The planning step of platform-upgrade on the real engine, against the demo platform's real git
 * repository, with the platform checked out at 1.0.0 in its working directory.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"upshift.engine.port=0", "upshift.data-dir=target/it-data/plan"})
class PlatformUpgradePlanIT {

  static Path workingDirectory;

  @Autowired TestRestTemplate rest;
  @Autowired UpgradePlanner planner;

  @DynamicPropertySource
  static void demoPlatform(DynamicPropertyRegistry registry) throws IOException {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-plan-it");
    workingDirectory = scratch.resolve("platform");
    try (ReleaseRepository repository =
        ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"))) {
      repository.checkout(
          repository.release(Version.parse("1.0.0")).orElseThrow(), workingDirectory);
    }
    registry.add("upshift.platforms.demo.repository", () -> bare.toUri().toString());
    registry.add("upshift.platforms.demo.working-directory", () -> workingDirectory.toString());
    registry.add("upshift.platforms.demo.compose-project", () -> "upshift-it-plan");
  }

  @Test
  void oneHopPlanListsImagesMigrationsWithChecksumsAndConfigChanges() throws Exception {
    UpgradePlan plan = planner.plan("demo", "1.1.0", true);

    assertThat(plan.fromVersion()).isEqualTo("1.0.0");
    assertThat(plan.hops())
        .singleElement()
        .satisfies(
            hop -> {
              assertThat(hop.to()).isEqualTo("1.1.0");
              assertThat(hop.images())
                  .contains(
                      "localhost:5000/upshift-demo/backend:1.1.0",
                      "localhost:5000/upshift-demo/postgres:15");
              assertThat(hop.newVariables()).containsExactly("API_PAGE_SIZE");
              assertThat(hop.migrations())
                  .singleElement()
                  .satisfies(
                      m -> {
                        assertThat(m.script()).isEqualTo("migrations/V3__add_categories.sql");
                        assertThat(m.sha256())
                            .isEqualTo(
                                sha256(
                                    DemoPlatform.ROOT.resolve(
                                        "deploy/demo/releases/1.1.0/" + m.script())));
                      });
            });
    assertThat(UpgradePlanner.hash(planner.plan("demo", "1.1.0", true)))
        .isEqualTo(UpgradePlanner.hash(plan));
    assertThat(UpgradePlanner.hash(planner.plan("demo", "1.2.0", true)))
        .isNotEqualTo(UpgradePlanner.hash(plan));
  }

  @Test
  void majorUpgradeGoesThroughTheLatestMinor() {
    UpgradePlan plan = planner.plan("demo", "2.0.0", true);

    assertThat(plan.hops())
        .extracting(UpgradePlan.PlannedHop::to)
        .containsExactly("1.1.0", "1.2.0", "2.0.0");
    assertThat(plan.hops().get(1).renamedVariables())
        .containsExactly("API_PAGE_SIZE -> ITEMS_PAGE_SIZE");
  }

  @Test
  void runPlansTheUpgradeAndCompletes() {
    RunView run = startAndAwait(Map.of("platform", "demo", "targetVersion", "1.1.0"));

    assertThat(run.state()).isEqualTo("completed");
    assertThat(run.steps())
        .singleElement()
        .satisfies(
            step -> {
              assertThat(step.jobType()).isEqualTo("upshift.plan.compute");
              assertThat(step.summary()).contains("1.0.0 -> [1.1.0]").contains("hash ");
            });
  }

  @Test
  void forbiddenDirectPathEndsTheRunNamingTheAllowedPath() {
    RunView run =
        startAndAwait(
            Map.of("platform", "demo", "targetVersion", "2.0.0", "allowSteppingStones", false));

    assertThat(run.state()).isEqualTo("failed");
    assertThat(run.currentElement()).isEqualTo("UpgradeRefused");
    assertThat(run.outcomeMessage())
        .contains("from 1.0.0 directly to 2.0.0 skips required versions")
        .contains("1.0.0 -> 1.1.0 -> 1.2.0 -> 2.0.0");
  }

  @Test
  void unknownReleaseAndDowngradeAreRefused() {
    RunView unknown = startAndAwait(Map.of("platform", "demo", "targetVersion", "9.9.9"));
    assertThat(unknown.state()).isEqualTo("failed");
    assertThat(unknown.outcomeMessage()).contains("no release 9.9.9").contains("1.2.0");

    assertThatThrownBy(() -> planner.plan("demo", "1.0.0", true))
        .isInstanceOf(PlanRefusedException.class)
        .hasMessageContaining("not newer");
  }

  @Test
  void badInputIsRejectedAtTheEdge() {
    ResponseEntity<Map> response =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "platform-upgrade",
                "variables",
                Map.of(
                    "platform", "prod", "targetVersion", "latest", "allowSteppingStones", "yes")),
            Map.class);

    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(response.getBody().get("detail").toString())
        .contains("variables.platform: must be a registered platform: demo")
        .contains("variables.targetVersion")
        .contains("variables.allowSteppingStones");
  }

  private RunView startAndAwait(Map<String, Object> variables) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "platform-upgrade", "variables", variables),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = started.getBody().id();
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> rest.getForObject("/api/runs/" + id, RunView.class),
            run -> !run.state().equals("active"));
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
