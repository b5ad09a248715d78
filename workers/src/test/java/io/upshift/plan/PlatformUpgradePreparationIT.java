package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.upshift.approval.ApprovalTask;
import io.upshift.backup.BackupManifest;
import io.upshift.backup.BackupService;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.transport.RefSpec;
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
    platform.register(registry, "demo", bare);
    // The same deployment once more, with releases from a repository with a stricter 1.1.0.
    platform.register(registry, "strict", strictRepository(bare, scratch.resolve("strict")));
  }

  /**
   * A copy of the platform repository whose 1.1.0 requires API_PAGE_SIZE without a default: the
   * release a team would publish when the new variable has no safe value.
   */
  static Path strictRepository(Path bare, Path work) {
    try (Git git = Git.init().setDirectory(work.toFile()).call()) {
      git.fetch()
          .setRemote(bare.toUri().toString())
          .setRefSpecs(
              new RefSpec("+refs/tags/*:refs/tags/*"), new RefSpec("+refs/heads/*:refs/heads/*"))
          .call();
      git.checkout().setName("refs/tags/1.1.0").call();
      Path descriptor = work.resolve("upshift.yaml");
      Files.writeString(
          descriptor, Files.readString(descriptor).replace("      default: \"50\"\n", ""));
      git.add().addFilepattern("upshift.yaml").call();
      git.commit()
          .setMessage("1.1.0 without a default for API_PAGE_SIZE")
          .setAuthor("Test", "test@upshift.invalid")
          .setCommitter("Test", "test@upshift.invalid")
          .call();
      git.tag().setName("1.1.0").setForceUpdate(true).setAnnotated(false).call();
      return work;
    } catch (IOException | GitAPIException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void missingRequiredVariableEndsTheRunBeforeAnyBackup() {
    RunView run = startAndAwait(Map.of("platform", "strict", "targetVersion", "1.1.0"));

    assertThat(run.state()).isEqualTo("failed");
    assertThat(run.currentElement()).isEqualTo("UpgradeRefused");
    assertThat(run.outcomeMessage())
        .contains("Pre-flight failed, nothing was touched")
        .contains("missing from the platform's .env, with no default: API_PAGE_SIZE (new in 1.1.0");
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .doesNotContain("upshift.backup.database");
    assertThat(dataDir.resolve("backups/strict/run-" + run.id())).doesNotExist();
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
  void runStopsAtTheApprovalWithEvidenceThatMatchesReality() throws Exception {
    String id = start(Map.of("platform", "demo", "targetVersion", "1.1.0"));
    ApprovalTask task = Approvals.awaitTask(rest, id);

    assertThat(task.name()).isEqualTo("Approve maintenance window");
    assertThat(task.candidateGroups()).containsExactly("approvers");
    assertThat(task.dueDate()).isAfter(java.time.Instant.now().plus(Duration.ofDays(2)));
    JsonNode evidence = task.evidence();
    assertThat(task.planHash()).isEqualTo(UpgradePlanner.hash(planner.plan("demo", "1.1.0", true)));
    assertThat(evidence.at("/plan/hops/0/to").asText()).isEqualTo("1.1.0");
    assertThat(evidence.at("/plan/hops/0/migrations/0/script").asText())
        .isEqualTo("migrations/V3__add_categories.sql");
    assertThat(evidence.at("/preflight/configChanges/0").asText())
        .isEqualTo("1.1.0: add API_PAGE_SIZE=50");
    assertThat(evidence.at("/backup/verified").asBoolean()).isTrue();
    assertThat(evidence.at("/rehearsal/rowCounts").toString())
        .contains("items: 201 restored, 201 live");
    assertThat(evidence.at("/estimatedDowntimeSeconds").asDouble()).isPositive();
    // 1.1.0 ran staged on the restored copy; the estimate is built from the measured pieces.
    assertThat(evidence.at("/rehearsal/staging/status").asText()).isEqualTo("passed");
    assertThat(evidence.at("/rehearsal/staging/hops/0/services").toString())
        .isEqualTo("{\"backend\":\"healthy\",\"worker\":\"healthy\"}");
    assertThat(evidence.at("/rehearsal/staging/hops/0/checks").toString())
        .contains("passed health backend-health")
        .contains("passed smoke create-item")
        .contains("passed invariant categories-present")
        .contains("passed index items_sku_key");
    JsonNode estimate = evidence.at("/rehearsal/downtimeEstimate/0");
    System.out.println("ESTIMATE | demo 1.0.0 -> 1.1.0 | " + estimate);
    assertThat(estimate.path("startUntilHealthySeconds").asDouble()).isPositive();
    // The stop is measured: the staged 1.1.0 stopped as the cutover stops it, within its bound
    // (two groups, 10 s grace each), and shown next to the measurement.
    assertThat(estimate.path("stopBoundSeconds").asDouble()).isEqualTo(20.0);
    assertThat(estimate.path("stopBasis").asText()).startsWith("measured: the staged 1.1.0");
    assertThat(estimate.path("stopSeconds").asDouble()).isPositive().isLessThan(20.0);
    assertThat(evidence.at("/rehearsal/staging/hops/0/stopSeconds").asDouble())
        .isEqualTo(estimate.path("stopSeconds").asDouble());
    // The start counts until the entry point answered (the backend's /health, polled at the
    // staged address), which is no later than every service's healthcheck passing.
    assertThat(estimate.path("startBasis").asText()).contains("until the entry points");
    JsonNode start = estimate.path("startParts");
    assertThat(start.path("untilAnsweringSeconds").asDouble())
        .isPositive()
        .isLessThanOrEqualTo(estimate.path("startUntilHealthySeconds").asDouble())
        .isEqualTo(evidence.at("/rehearsal/staging/hops/0/startUntilAnsweringSeconds").asDouble());
    // Plus what the cutover's compose up pays and staging does not: the compose process and
    // creating the containers.
    assertThat(start.path("composeSeconds").asDouble()).isPositive();
    assertThat(estimate.path("startSeconds").asDouble())
        .isCloseTo(
            start.path("composeSeconds").asDouble()
                + start.path("createSeconds").asDouble()
                + start.path("untilAnsweringSeconds").asDouble(),
            within(0.01));
    // The restore point inside the downtime is counted, by the run's backup's duration.
    assertThat(estimate.path("restorePointSeconds").asDouble()).isPositive();
    assertThat(evidence.at("/estimatedDowntimeSeconds").asDouble())
        .isCloseTo(
            estimate.path("stopSeconds").asDouble()
                + estimate.path("restorePointSeconds").asDouble()
                + estimate.path("migrationSeconds").asDouble()
                + estimate.path("startSeconds").asDouble(),
            within(0.11));

    // The evidence matches the files: the backup exists and its checksum is the manifest's.
    Path directory = dataDir.resolve("backups/demo/run-" + id);
    BackupManifest manifest =
        new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .readValue(directory.resolve("manifest.json").toFile(), BackupManifest.class);
    assertThat(evidence.at("/backup/id").asText()).isEqualTo(manifest.id());
    assertThat(evidence.at("/backup/sha256").asText())
        .isEqualTo(sha256(directory.resolve("app.dump")));

    // Rejected: the run ends with nothing changed.
    Approvals.decide(rest, task, "reject", "not during month end");
    RunView run = awaitEnd(id);
    assertThat(run.state()).isEqualTo("rejected");
    assertThat(run.outcomeMessage()).contains("Rejected by approver: not during month end");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .doesNotContain("upshift.compose.stop");
  }

  @Test
  void expiredApprovalEndsTheRunWithNothingChanged() {
    RunView run =
        startAndAwait(
            Map.of("platform", "demo", "targetVersion", "1.1.0", "approvalTimeout", "PT3S"));

    assertThat(run.state()).isEqualTo("expired");
    assertThat(run.currentElement()).isEqualTo("ApprovalTimedOut");
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .doesNotContain("upshift.compose.stop");
  }

  @Test
  void backupIsTakenOnceWithChecksumsThatMatch() throws Exception {
    String id = start(Map.of("platform", "demo", "targetVersion", "1.1.0"));
    Approvals.awaitTask(rest, id);
    RunView run = rest.getForObject("/api/runs/" + id, RunView.class);

    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .containsExactly(
            "upshift.plan.compute",
            "upshift.preflight.check",
            "upshift.backup.database",
            "upshift.backup.rehearse");
    assertThat(run.steps().get(1).summary())
        .contains("checks passed")
        .contains("1.1.0: add API_PAGE_SIZE=50")
        .contains("3 add categories");
    assertThat(run.steps().get(3).summary())
        .contains("with matching row counts")
        .contains("1.1.0: 3 add categories");
    assertThat(run.steps().get(2).summary()).contains("verified");

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

    // The run waits at its approval and holds the platform (one upgrade per platform): cancel it,
    // before its cutover, so the other tests can upgrade demo.
    ResponseEntity<RunView> cancelled =
        rest.postForEntity(
            "/api/runs/" + id + "/cancel", Map.of("reason", "test done"), RunView.class);
    assertThat(cancelled.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(cancelled.getBody().state()).isEqualTo("cancelled");
  }

  private int catalogRows(String runId) {
    return jdbc.sql("SELECT count(*) FROM backup WHERE run_id = ?")
        .param(runId)
        .query(Integer.class)
        .single();
  }

  @Test
  void faultyMigrationFailsInRehearsalWhileThePlatformKeepsServing() throws Exception {
    String health = platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/health");
    AtomicInteger probes = new AtomicInteger();
    List<String> outages = new CopyOnWriteArrayList<>();
    AtomicBoolean probing = new AtomicBoolean(true);
    Thread prober =
        Thread.ofVirtual()
            .start(
                () -> {
                  while (probing.get()) {
                    try {
                      int status = platform.send("GET", health, Map.of(), null).statusCode();
                      if (status != 200) {
                        outages.add("status " + status);
                      }
                    } catch (Exception e) {
                      outages.add(e.toString());
                    }
                    probes.incrementAndGet();
                    try {
                      Thread.sleep(200);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });

    RunView run =
        startAndAwait(Map.of("platform", "demo", "targetVersion", "1.1.1-fail-migration"));
    probing.set(false);
    prober.join();

    assertThat(run.state()).isEqualTo("failed");
    assertThat(run.currentElement()).isEqualTo("UpgradeRefused");
    assertThat(run.outcomeMessage())
        .contains(
            "Rehearsal of 1.1.1-fail-migration failed on the restored copy, before any downtime")
        .contains("3.2")
        .contains("value too long");
    assertThat(probes.get()).isGreaterThan(5);
    assertThat(outages).isEmpty();
    assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(5)))
        .allSatisfy((service, state) -> assertThat(state).isEqualTo("healthy"));
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
    // An unknown target is refused at the edge, listing the releases; no run is created.
    ResponseEntity<Map> unknown =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "platform-upgrade",
                "variables",
                Map.of("platform", "demo", "targetVersion", "9.9.9")),
            Map.class);
    assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(unknown.getBody().get("detail").toString())
        .contains("variables.targetVersion: '9.9.9' is not a release of demo; releases: 1.0.0")
        .contains("1.2.0");

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
                    "platform",
                    "prod",
                    "targetVersion",
                    "latest",
                    "allowSteppingStones",
                    "yes",
                    "staging",
                    "off")),
            Map.class);

    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(response.getBody().get("detail").toString())
        .contains("variables.platform: must be a registered platform: demo")
        .contains("variables.targetVersion")
        .contains("variables.allowSteppingStones")
        .contains("variables.staging: must be true or false");
  }

  private String start(Map<String, Object> variables) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "platform-upgrade", "variables", variables),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    return started.getBody().id();
  }

  private RunView awaitEnd(String id) {
    return await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> rest.getForObject("/api/runs/" + id, RunView.class),
            run -> !run.state().equals("active"));
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
