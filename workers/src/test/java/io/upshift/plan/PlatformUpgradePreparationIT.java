package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.upshift.backup.BackupManifest;
import io.upshift.backup.BackupService;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The planning and backup steps of platform-upgrade on the real engine, against the demo platform's
 * real git repository, with the platform checked out at 1.0.0 in its working directory and running.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/plan",
      TestUsers.PROFILE
    })
class PlatformUpgradePreparationIT {

  static Path workingDirectory;
  static ReleaseRepository releases;
  static Deployment platform;

  @Autowired TestRestTemplate rest;
  @Autowired UpgradePlanner planner;
  @Autowired BackupService backups;
  @Autowired JdbcClient jdbc;

  @Value("${upshift.data-dir}")
  Path dataDir;

  /** Every API call as a user who may start runs and read them. */
  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  @DynamicPropertySource
  static void demoPlatform(DynamicPropertyRegistry registry) throws IOException {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-plan-it");
    workingDirectory = scratch.resolve("platform");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    platform = new Deployment(releases, "plan", workingDirectory).checkout("1.0.0");
    try {
      assertThat(platform.bringUp())
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
    registry.add("upshift.platforms.demo.repository", () -> bare.toUri().toString());
    registry.add("upshift.platforms.demo.working-directory", () -> workingDirectory.toString());
    registry.add("upshift.platforms.demo.compose-project", () -> platform.project);
  }

  @AfterAll
  static void tearDown() {
    platform.close();
    releases.close();
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
  void runPlansAndBacksUpOnceWithChecksumsThatMatch() throws Exception {
    RunView run = startAndAwait(Map.of("platform", "demo", "targetVersion", "1.1.0"));

    assertThat(run.state()).as(run.toString()).isEqualTo("completed");
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .containsExactly("upshift.plan.compute", "upshift.backup.database");
    assertThat(run.steps().get(0).summary()).contains("1.0.0 -> [1.1.0]").contains("hash ");
    assertThat(run.steps().get(1).summary()).contains("verified");

    Path directory = dataDir.resolve("backups/demo/run-" + run.id());
    BackupManifest manifest =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .readValue(directory.resolve("manifest.json").toFile(), BackupManifest.class);
    assertThat(manifest.version()).isEqualTo("1.0.0");
    assertThat(manifest.files())
        .extracting(BackupManifest.BackupFile::name)
        .contains(
            "app.dump",
            "globals.sql",
            "config/.env",
            "config/docker-compose.yml",
            "config/upshift.yaml");
    for (BackupManifest.BackupFile file : manifest.files()) {
      assertThat(sha256(directory.resolve(file.name()))).as(file.name()).isEqualTo(file.sha256());
    }
    assertThat(manifest.runningImages())
        .anySatisfy(
            i -> assertThat(i).startsWith("backend=localhost:5000/upshift-demo/backend@sha256:"));
    assertThat(catalogRows(run.id())).isEqualTo(1);

    // A redelivered job (worker crash after the dump) finds the backup instead of taking another.
    BackupManifest again = backups.backup("demo", run.id());
    assertThat(again).isEqualTo(manifest);
    assertThat(catalogRows(run.id())).isEqualTo(1);
    try (var files = Files.list(dataDir.resolve("backups/demo"))) {
      assertThat(files.filter(p -> p.getFileName().toString().contains(run.id())).count())
          .isEqualTo(1);
    }
  }

  private int catalogRows(String runId) {
    return jdbc.sql("SELECT count(*) FROM backup WHERE run_id = ?")
        .param(runId)
        .query(Integer.class)
        .single();
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
