package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.approval.ApprovalTask;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
import io.upshift.support.ApiWriter;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Whole upgrades of the demo platform on the real engine, Docker, PostgreSQL and git: a one-hop and
 * a two-hop upgrade complete; a release that never becomes healthy and one whose smoke write fails
 * are rolled back, leaving the database equal in content to before the upgrade.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/upgrade",
      // Job timeouts far shorter than the steps take: a step must keep its job's deadline ahead
      // while it works (no second delivery while the first is busy), and a redelivery must not
      // double a side effect (one backup, one migration history row, one version row).
      "camunda.client.worker.override[upshift.migration.apply].timeout=PT3S",
      "camunda.client.worker.override[upshift.rollback.database].timeout=PT3S",
      "camunda.client.worker.override[upshift.backup.final].timeout=PT3S",
      TestUsers.PROFILE
    })
class PlatformUpgradeIT {

  static final List<String> PLATFORMS =
      List.of(
          "onehop",
          "twohops",
          "failhealth",
          "failsmoke",
          "failmigration",
          "pullfail",
          "corruptdump",
          "cancelled");
  static final Path DATA = Path.of("target/it-data/upgrade");

  /**
   * Platforms installed at 1.1.0 by hand, so their runs are the one faulty hop: hop 1's upgrade is
   * proven by the others, and leaving it out keeps the suite fast. "failhealth" keeps two hops to
   * show that only the failed hop is undone.
   */
  static final java.util.Set<String> START_AT_1_1_0 =
      java.util.Set.of("failsmoke", "failmigration", "corruptdump");

  /** Where nothing listens: the pull-failure platform's registry is down for the whole test. */
  static int deadRegistryPort;

  static final Map<String, Deployment> deployments = new TreeMap<>();
  static ReleaseRepository releases;

  @Autowired TestRestTemplate rest;

  /** Names of the tasks decided after the approval, in order. */
  final List<String> laterTasks = new ArrayList<>();

  /** The run the current test started (set before its approval). */
  volatile String currentRunId;

  /** How the test decides "Review rollback": approve drops the failed state, reject keeps it. */
  String reviewDecision = "reject";

  /** Runs are started by the test operator and approved by the test approver. */
  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-upgrade-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    deadRegistryPort = io.upshift.support.FreePorts.next(); // nothing listens there
    for (String name : PLATFORMS) {
      Deployment platform =
          new Deployment(releases, name, scratch.resolve(name))
              .checkout(START_AT_1_1_0.contains(name) ? "1.1.0" : "1.0.0");
      if (name.equals("pullfail")) {
        // Its images come from a registry that is down: present locally under that registry's
        // name (as after an earlier pull), so only the cutover's pull meets the outage.
        String deadRegistry = "127.0.0.1:" + deadRegistryPort;
        Map<String, String> env = new java.util.LinkedHashMap<>(platform.env().values());
        env.put("UPSHIFT_REGISTRY", deadRegistry);
        platform.writeEnv(env);
        var docker = io.upshift.compose.DockerClients.local();
        for (String image : List.of("postgres:15", "backend:1.0.0", "backend:1.1.0")) {
          int colon = image.indexOf(':');
          docker
              .tagImageCmd(
                  "localhost:5000/upshift-demo/" + image,
                  deadRegistry + "/upshift-demo/" + image.substring(0, colon),
                  image.substring(colon + 1))
              .withForce()
              .exec();
        }
      }
      deployments.put(name, platform);
      assertThat(platform.bringUp())
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      platform.register(registry, name, bare);
    }
  }

  @AfterAll
  static void tearDown() {
    deployments.values().forEach(Deployment::close);
    releases.close();
  }

  @Test
  void oneHopUpgradeCompletesAndKeepsTheData() throws Exception {
    Deployment platform = deployments.get("onehop");
    Map<String, Long> before = platform.rowCounts();
    // An ERROR line the database logged before the run (its container is not recreated by the
    // upgrade): not this release's failure, so verification must not count it.
    platform.compose(
        "exec",
        "-T",
        "db",
        "sh",
        "-c",
        "psql -U \"$POSTGRES_USER\" -d postgres -c 'SELECT stale_line_from_before_the_run' || true");
    assertThat(platform.compose("logs", "db"))
        .contains("ERROR:")
        .contains("stale_line_from_before_the_run");

    // A write the platform accepts between the approval request and the stop survives.
    RunView run =
        upgrade("onehop", "1.1.0", () -> write(platform, "accepted while waiting for approval"));

    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
    assertThat(run.currentElement()).isEqualTo("Upgraded");
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .containsSubsequence(
            "upshift.plan.recheck",
            "upshift.compose.stop",
            "upshift.backup.final",
            "upshift.git.checkout",
            "upshift.config.migrate",
            "upshift.migration.apply",
            "upshift.compose.up",
            "upshift.verify.platform",
            "upshift.platform.record-version");
    assertThat(summary(run, "upshift.compose.up")).contains("downtime");
    assertThat(summary(run, "upshift.verify.platform")).contains("checks passed");
    platform.checkout("1.1.0");
    assertThat(platform.env().values()).containsEntry("API_PAGE_SIZE", "50");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
    assertThat(platform.violatedInvariants()).isEmpty();
    Map<String, Long> after = platform.rowCounts();
    before.forEach(
        (table, count) -> assertThat(after.get(table)).as(table).isGreaterThanOrEqualTo(count));
    assertThat(versions(platform)).containsExactly("1.1.0");
    assertThat(itemsNamed(platform, "accepted while waiting for approval")).isEqualTo(1);
    assertThat(laterTasks).containsExactly("Sign off upgrade");
    assertThat(run.currentElement()).isEqualTo("Upgraded");
  }

  @Test
  void twoHopUpgradeRunsTheCutoverPerHop() throws Exception {
    Deployment platform = deployments.get("twohops");

    // Nobody signs off: after the observation window the platform is verified again.
    RunView run = upgrade("twohops", "1.2.0", () -> {}, Map.of("signOffWindow", "PT2S"), false);

    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
    assertThat(run.steps().stream().filter(s -> s.jobType().equals("upshift.git.checkout")).count())
        .isEqualTo(2);
    platform.checkout("1.2.0");
    assertThat(platform.env().values())
        .containsKey("ITEMS_PAGE_SIZE")
        .doesNotContainKey("API_PAGE_SIZE");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
    assertThat(versions(platform)).containsExactly("1.1.0", "1.2.0");
  }

  /**
   * Fault matrix row "hop 2 of 2 fails, never healthy": 1.0.0 -> 1.1.0 completes and is verified,
   * then 1.1.1-fail-health accepts writes while it never turns healthy. Only hop 2 is undone: the
   * platform is back at 1.1.0 with every write accepted before hop 2's stop (including those 1.1.0
   * accepted between the hops); the writes the faulty release accepted are listed and kept in the
   * failed state; no id is handed out twice afterwards.
   */
  @Test
  void hopTwoThatNeverBecomesHealthyIsUndoneAlone() throws Exception {
    Matrix row = faultRow("failhealth", "1.1.1-fail-health", "StartPlatform", false);
    assertThat(row.run().outcomeMessage())
        .contains("Rolled back to 1.1.0")
        .contains("written after the stop were not carried back")
        .contains(failedDatabase(row.run().id()));
    assertThat(versions(deployments.get("failhealth"))).containsExactly("1.1.0");
    assertThat(row.discardedKept()).isPositive();
    // Sequences moved past what the failed release handed out: a new write gets a new id.
    Deployment platform = deployments.get("failhealth");
    long id = writeId(platform, "after the rollback");
    assertThat(id).isGreaterThan(row.maxDiscardedId());
  }

  /**
   * Staging in the rehearsal catches the faulty releases before the approval: 1.1.1-fail-smoke's
   * write answers 500 and 1.1.1-fail-health's backend never turns healthy, each on a staged copy of
   * the release next to the restored backup. Both runs end refused before any approval task, naming
   * the failing check; the live platform keeps its containers, images and health, every write a
   * client made through it meanwhile is there, and no staging container is left.
   */
  @Test
  void stagingCatchesFaultyReleasesBeforeTheApproval() throws Exception {
    Deployment platform = deployments.get("failsmoke");
    Map<String, String> before = containers(platform.project);
    RunView smoke;
    RunView health;
    try (ApiWriter writer = writer(platform, "staged")) {
      smoke = startAndAwaitEnd("failsmoke", "1.1.1-fail-smoke");
      health = startAndAwaitEnd("failsmoke", "1.1.1-fail-health");
      writer.close();
      Map<Long, String> live = itemNames(platform, platform.connect());
      assertThat(writer.acknowledged()).isNotEmpty();
      writer
          .acknowledged()
          .forEach(
              (id, name) ->
                  assertThat(live.get(id)).as("acknowledged write %s", id).isEqualTo(name));
      System.out.printf(
          "STAGING | acknowledged %d during both runs | longest gap %.1f s%n",
          writer.acknowledged().size(), writer.longestGapSeconds());
    }
    for (RunView run : List.of(smoke, health)) {
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("failed");
      assertThat(run.currentElement()).isEqualTo("UpgradeRefused");
      assertThat(run.steps())
          .extracting(RunView.Step::jobType)
          .doesNotContain("upshift.compose.stop", "upshift.compose.pull");
      System.out.println("STAGING | " + run.outcomeMessage());
    }
    assertThat(smoke.outcomeMessage())
        .contains("Staging of 1.1.1-fail-smoke failed on the restored copy, before any downtime")
        .contains("smoke create-item")
        .contains("answered 500");
    assertThat(health.outcomeMessage())
        .contains("Staging of 1.1.1-fail-health failed on the restored copy, before any downtime")
        .contains("health backend-health")
        .contains("service backend");
    assertThat(containers(platform.project)).as("the live containers and images").isEqualTo(before);
    assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(5)))
        .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    try (var docker = io.upshift.compose.DockerClients.local()) {
      for (RunView run : List.of(smoke, health)) {
        assertThat(
                docker
                    .listContainersCmd()
                    .withShowAll(true)
                    .withLabelFilter(Map.of("io.upshift.rehearsal", run.id()))
                    .exec())
            .as("staging and scratch containers left by run %s", run.id())
            .isEmpty();
      }
    }
  }

  /** Container id -> image id and state of a compose project's containers. */
  private static Map<String, String> containers(String project) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (var docker = io.upshift.compose.DockerClients.local()) {
      for (var c :
          docker
              .listContainersCmd()
              .withShowAll(true)
              .withLabelFilter(Map.of("com.docker.compose.project", project))
              .exec()) {
        out.put(c.getId(), c.getImageId() + " " + c.getState());
      }
    }
    return out;
  }

  /** Starts an upgrade and waits for its end, deciding nothing. */
  private RunView startAndAwaitEnd(String platform, String target) {
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "platform-upgrade",
                "variables",
                Map.of("platform", platform, "targetVersion", target)),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = started.getBody().id();
    currentRunId = id;
    return await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              assertThat(Approvals.waiting(rest, id)).as("an approval task").isEmpty();
              return rest.getForObject("/api/runs/" + id, RunView.class);
            },
            run -> !run.state().equals("active"));
  }

  /** Fault matrix row "smoke test fails"; the review drops the failed state. */
  @Test
  void hopTwoWhoseSmokeWriteFailsIsUndone() throws Exception {
    Matrix row = faultRow("failsmoke", "1.1.1-fail-smoke", "VerifyPlatform", true);
    assertThat(databaseExists(deployments.get("failsmoke"), failedDatabase(row.run().id())))
        .as("failed state dropped after the review chose so")
        .isFalse();
    assertThat(row.run().outcomeMessage()).contains("dropped the failed state");
  }

  /**
   * Fault matrix row "migration fails": the faulty migration passes the rehearsal (the poison row
   * is gone then) and meets the poison row on the real database, inserted while the run waits for
   * approval. V3.1 applies, V3.2 fails; the hop is undone from its restore point with that row
   * kept.
   */
  @Test
  void migrationThatFailsOnTheRealDatabaseIsUndone() throws Exception {
    Deployment platform = deployments.get("failmigration");
    execute(platform, "DELETE FROM items WHERE sku = 'POISON-SKU-TOO-LONG-0001'");
    Matrix row =
        faultRow(
            "failmigration",
            "1.1.1-fail-migration",
            "ApplyMigrations",
            false,
            () ->
                execute(
                    platform,
                    "INSERT INTO items (sku, name, quantity) VALUES ('POISON-SKU-ADDED-AFTER-REHEARSAL', 'late poison', 1)"));
    assertThat(row.run().outcomeMessage()).contains("3.2");
    assertThat(itemsNamed(platform, "late poison")).isEqualTo(1);
    try (Connection c = platform.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE version = '3.1'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("V3.1 undone with the database").isZero();
    }
  }

  /**
   * Fault matrix row "pull fails after the approval": the registry is down. Nothing was stopped, so
   * nothing is undone: the run ends failed, the platform keeps serving 1.0.0 the whole time.
   */
  @Test
  void pullFailureChangesNothing() throws Exception {
    Deployment platform = deployments.get("pullfail");
    String backendStarted = startedAt(platform, "backend");
    String runId;
    RunView run;
    try (ApiWriter writer = writer(platform, "pullfail")) {
      run = upgrade("pullfail", "1.1.0", () -> {});
      writer.close();
      runId = run.id();
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("failed");
      assertThat(run.currentElement()).isEqualTo("FailedNothingChanged");
      assertThat(run.outcomeMessage()).contains("PullImages").contains("nothing was undone");
      assertThat(run.steps())
          .extracting(RunView.Step::jobType)
          .doesNotContain("upshift.compose.stop", "upshift.rollback.plan");
      Accounting accounting = account(platform, writer, runId, "1.1.0");
      report("pull fails after the approval", run, writer, accounting);
      assertThat(accounting.lost()).isEmpty();
      assertThat(accounting.discardedKept()).isZero();
      assertThat(startedAt(platform, "backend"))
          .as("the backend was never stopped")
          .isEqualTo(backendStarted);
    }
    assertThat(laterTasks).isEmpty();
    platform.checkout("1.0.0");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
  }

  /**
   * Fault matrix row "the rollback's restore fails" (from 1.1.0): the hop's restore point is
   * corrupted while the faulty release waits to turn healthy. The rollback refuses it, leaves the
   * failed database untouched, records an incident and asks a person to restore by hand.
   */
  @Test
  void corruptRestorePointStopsForAPersonWithTheFailedStateUntouched() throws Exception {
    Deployment platform = deployments.get("corruptdump");
    Path backups = DATA.resolve("backups").resolve("corruptdump");
    try (ApiWriter writer = writer(platform, "corruptdump")) {
      RunView run =
          upgrade(
              "corruptdump",
              "1.1.1-fail-health",
              () -> {
                Thread corrupter =
                    new Thread(
                        () -> {
                          try {
                            Path manifest =
                                await()
                                    .atMost(Duration.ofMinutes(4))
                                    .pollInterval(Duration.ofMillis(200))
                                    .until(
                                        () -> findRestorePoint(backups, "1.1.1-fail-health"),
                                        java.util.Objects::nonNull);
                            try (var dumps = Files.list(manifest.getParent())) {
                              for (Path dump :
                                  dumps.filter(f -> f.toString().endsWith(".dump")).toList()) {
                                Files.write(dump, new byte[] {'P', 'G', 'D', 'M', 'P', 0});
                              }
                            }
                          } catch (Exception e) {
                            throw new IllegalStateException(e);
                          }
                        });
                corrupter.setDaemon(true);
                corrupter.start();
              },
              // Staging would refuse the faulty release before the approval; this row tests the
              // rollback after the point of no return, so its run skips staging.
              Map.of("staging", false),
              true);
      writer.close();
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("failed");
      assertThat(run.currentElement()).isEqualTo("RolledBackByHand");
      assertThat(run.outcomeMessage())
          .contains("Rollback failed")
          .contains("does not match its manifest");
      assertThat(laterTasks).containsExactly("Restore by hand");
      // The failed state is untouched: it is still the platform's database, with every write.
      Accounting accounting = account(platform, writer, run.id(), "1.1.1-fail-health");
      report("the rollback's restore fails (corrupt dump)", run, writer, accounting);
      assertThat(accounting.lost()).isEmpty();
      assertThat(databaseExists(platform, failedDatabase(run.id()))).isFalse();
    }
  }

  /** When the service's container last started (changes when it is stopped and started). */
  private static String startedAt(Deployment platform, String service) {
    var docker = io.upshift.compose.DockerClients.local();
    var container =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project",
                    platform.project,
                    "com.docker.compose.service",
                    service))
            .exec()
            .get(0);
    return docker.inspectContainerCmd(container.getId()).exec().getState().getStartedAt();
  }

  /**
   * An operator cancels while the hop changes the platform (its applications are stopped): the
   * cancel takes effect at the next cutover step, and the hop is rolled back like after a failure.
   */
  @Test
  void cancelDuringTheCutoverRollsTheHopBack() throws Exception {
    Deployment platform = deployments.get("cancelled");
    reviewDecision = "reject";
    java.util.concurrent.atomic.AtomicReference<ResponseEntity<Map>> cancel =
        new java.util.concurrent.atomic.AtomicReference<>();
    try (ApiWriter writer = writer(platform, "cancelled")) {
      RunView run =
          upgrade(
              "cancelled",
              "1.1.0",
              () -> {
                Thread canceller = new Thread(() -> cancel.set(cancelOnceStopped()));
                canceller.setDaemon(true);
                canceller.start();
              });
      writer.close();
      assertThat(cancel.get()).as("the cancel was sent").isNotNull();
      assertThat(cancel.get().getStatusCode())
          .as(String.valueOf(cancel.get().getBody()))
          .isEqualTo(HttpStatus.OK);
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
      assertThat(run.outcomeMessage())
          .contains("during the cutover: the window is over")
          .contains("Rolled back to 1.0.0");
      assertThat(laterTasks).containsExactly("Review rollback");
      Accounting accounting = account(platform, writer, run.id(), "1.1.0");
      report("cancelled by an operator during the cutover", run, writer, accounting);
      assertThat(accounting.lost()).isEmpty();
    }
    platform.checkout("1.0.0");
    assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(30)))
        .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
  }

  /** Waits until the current run has stopped the platform, then cancels it as the operator. */
  private ResponseEntity<Map> cancelOnceStopped() {
    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                rest.getForObject("/api/runs/" + currentRunId, RunView.class).steps().stream()
                    .anyMatch(
                        st ->
                            st.jobType().equals("upshift.compose.stop")
                                && "completed".equals(st.state())));
    return rest.postForEntity(
        "/api/runs/" + currentRunId + "/cancel", Map.of("reason", "the window is over"), Map.class);
  }

  private static Path findRestorePoint(Path backups, String hop) throws java.io.IOException {
    if (!Files.isDirectory(backups)) {
      return null;
    }
    try (var dirs = Files.list(backups)) {
      return dirs.filter(d -> d.getFileName().toString().endsWith("-stop-" + hop))
          .map(d -> d.resolve("manifest.json"))
          .filter(Files::exists)
          .findFirst()
          .orElse(null);
    }
  }

  record Matrix(RunView run, long discardedKept, long maxDiscardedId) {}

  record Accounting(
      int acknowledged, List<Long> lost, long discardedKept, long maxDiscardedId, long live) {}

  /**
   * Runs the upgrade to target (from 1.0.0: two hops via 1.1.0; from 1.1.0: the faulty hop alone)
   * with a writer through the API the whole time, and checks the run rolled the faulty hop back:
   * state, failing step, platform healthy at 1.1.0, and every acknowledged write present or listed
   * by the rollback and kept in the failed state.
   */
  private Matrix faultRow(String name, String target, String failingStep, boolean dropFailedState)
      throws Exception {
    return faultRow(name, target, failingStep, dropFailedState, () -> {});
  }

  private Matrix faultRow(
      String name,
      String target,
      String failingStep,
      boolean dropFailedState,
      WhileWaiting whileWaiting)
      throws Exception {
    Deployment platform = deployments.get(name);
    int hops = START_AT_1_1_0.contains(name) ? 1 : 2;
    reviewDecision = dropFailedState ? "approve" : "reject";
    // The faulty releases' health and smoke failures are caught by staging in the rehearsal,
    // before the approval (stagingCatchesFaultyReleasesBeforeTheApproval). These rows test the
    // rollback after the point of no return, so their runs skip staging to reach the cutover.
    Map<String, Object> extra =
        target.equals("1.1.1-fail-smoke") || target.equals("1.1.1-fail-health")
            ? Map.of("staging", false)
            : Map.of();
    try (ApiWriter writer = writer(platform, name)) {
      RunView run = upgrade(name, target, whileWaiting, extra, true);
      writer.close();
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
      assertThat(run.currentElement()).isEqualTo("RolledBack");
      assertThat(run.outcomeMessage()).contains(failingStep);
      assertThat(summary(run, "upshift.rollback.start")).contains("rolled back to 1.1.0");
      assertThat(laterTasks).containsExactly("Review rollback");
      // The job timeouts of these steps are 3 s (see the class's properties) and each takes
      // longer: still one delivery per hop, because a busy step keeps its deadline ahead.
      for (String jobType :
          List.of("upshift.backup.final", "upshift.migration.apply", "upshift.rollback.database")) {
        assertThat(run.steps().stream().filter(st -> st.jobType().equals(jobType)).count())
            .as("deliveries of %s", jobType)
            .isEqualTo(jobType.equals("upshift.rollback.database") ? 1 : hops);
      }
      platform.checkout("1.1.0");
      assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(30)))
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      assertThat(
              platform
                  .send(
                      "GET",
                      platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/version"),
                      Map.of(),
                      null)
                  .body())
          .contains("1.1.0");
      Accounting accounting = account(platform, writer, run.id(), target);
      report(
          name + (hops == 2 ? ": hop 2 of 2" : ": 1.1.0 -> " + target) + " fails at " + failingStep,
          run,
          writer,
          accounting);
      assertThat(accounting.lost()).as("acknowledged writes lost").isEmpty();
      return new Matrix(run, accounting.discardedKept(), accounting.maxDiscardedId());
    }
  }

  private static ApiWriter writer(Deployment platform, String name) {
    return new ApiWriter(
        platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"), "w-" + name);
  }

  /**
   * Each acknowledged write is in the platform's database now, or listed by the rollback (its keys
   * file) and present in the kept failed state; each listed key is in the failed state.
   */
  @SuppressWarnings("unchecked")
  private static Accounting account(Deployment platform, ApiWriter writer, String runId, String hop)
      throws Exception {
    Map<Long, String> acknowledged = writer.acknowledged();
    Map<Long, String> live = itemNames(platform, platform.connect());
    Path keysFile = DATA.resolve("runs").resolve(runId).resolve("discarded-keys-" + hop + ".json");
    List<String> listed =
        Files.exists(keysFile)
            ? (List<String>)
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .readValue(keysFile.toFile(), Map.class)
                    .getOrDefault("items", List.of())
            : List.of();
    String failedDb = failedDatabase(runId);
    Map<Long, String> failed =
        databaseExists(platform, failedDb)
            ? itemNames(
                platform,
                java.sql.DriverManager.getConnection(
                    platform.jdbcUrl().substring(0, platform.jdbcUrl().lastIndexOf('/') + 1)
                        + failedDb,
                    platform.env().require("POSTGRES_USER"),
                    platform.env().require("POSTGRES_PASSWORD")))
            : Map.of();
    List<Long> lost = new ArrayList<>();
    long discardedKept = 0;
    long maxDiscarded = 0;
    for (Map.Entry<Long, String> write : acknowledged.entrySet()) {
      if (write.getValue().equals(live.get(write.getKey()))) {
        continue;
      }
      if (listed.contains(String.valueOf(write.getKey()))
          && write.getValue().equals(failed.get(write.getKey()))) {
        discardedKept++;
        maxDiscarded = Math.max(maxDiscarded, write.getKey());
        continue;
      }
      lost.add(write.getKey());
    }
    for (String key : listed) {
      assertThat(failed)
          .as("listed key %s in the kept failed state", key)
          .containsKey(Long.parseLong(key));
    }
    return new Accounting(acknowledged.size(), lost, discardedKept, maxDiscarded, live.size());
  }

  private static void report(String fault, RunView run, ApiWriter writer, Accounting a) {
    System.out.printf(
        "FAULT-MATRIX | %s | %s at %s | acknowledged %d | lost %d | discarded-and-kept %d |"
            + " longest gap between acknowledged writes %.1f s%n",
        fault,
        run.state(),
        run.currentElement(),
        a.acknowledged(),
        a.lost().size(),
        a.discardedKept(),
        writer.longestGapSeconds());
  }

  private static Map<Long, String> itemNames(Deployment platform, Connection connection)
      throws Exception {
    Map<Long, String> names = new java.util.HashMap<>();
    try (Connection c = connection;
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, name FROM items WHERE name LIKE 'w-%'")) {
      while (rs.next()) {
        names.put(rs.getLong(1), rs.getString(2));
      }
    }
    return names;
  }

  static String failedDatabase(String runId) {
    return "app_failed_" + runId.replace("-", "").substring(0, 8);
  }

  private static boolean databaseExists(Deployment platform, String name) throws Exception {
    try (Connection c = platform.connect();
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static long writeId(Deployment platform, String name) throws Exception {
    var response =
        platform.send(
            "POST",
            platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
            Map.of("Content-Type", "application/json"),
            "{\"name\": \"" + name + "\", \"quantity\": 1}");
    assertThat(response.statusCode()).isEqualTo(201);
    return new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(response.body())
        .get("id")
        .asLong();
  }

  private static void execute(Deployment platform, String sql) throws Exception {
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  interface WhileWaiting {
    void run() throws Exception;
  }

  /**
   * Starts the upgrade, does {@code whileWaiting} at the approval, approves, then decides every
   * later task (sign-off, rollback review) as the approver until the run ends.
   */
  private RunView upgrade(String platform, String target, WhileWaiting whileWaiting)
      throws Exception {
    return upgrade(platform, target, whileWaiting, Map.of(), true);
  }

  private RunView upgrade(
      String platform,
      String target,
      WhileWaiting whileWaiting,
      Map<String, Object> extra,
      boolean decideLaterTasks)
      throws Exception {
    Map<String, Object> variables =
        new java.util.HashMap<>(Map.of("platform", platform, "targetVersion", target));
    variables.putAll(extra);
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "platform-upgrade", "variables", variables),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = started.getBody().id();
    currentRunId = id;
    ApprovalTask approval = Approvals.awaitTask(rest, id);
    whileWaiting.run();
    Approvals.decide(rest, approval, "approve", "window now");
    java.util.Set<Long> decided = new java.util.HashSet<>(java.util.Set.of(approval.id()));
    return await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              if (decideLaterTasks) {
                for (ApprovalTask task : Approvals.waiting(rest, id)) {
                  if (decided.add(task.id())) {
                    laterTasks.add(task.name());
                    Approvals.decide(
                        rest,
                        task,
                        task.name().equals("Review rollback") ? reviewDecision : "approve",
                        "checked");
                  }
                }
              }
              return rest.getForObject("/api/runs/" + id, RunView.class);
            },
            run -> !run.state().equals("active"));
  }

  private static void write(Deployment platform, String name) throws Exception {
    assertThat(
            platform
                .send(
                    "POST",
                    platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
                    Map.of("Content-Type", "application/json"),
                    "{\"name\": \"" + name + "\", \"quantity\": 1}")
                .statusCode())
        .isEqualTo(201);
  }

  private static int itemsNamed(Deployment platform, String name) throws Exception {
    try (Connection c = platform.connect();
        var ps = c.prepareStatement("SELECT count(*) FROM items WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  private static String summary(RunView run, String jobType) {
    return run.steps().stream()
        .filter(s -> s.jobType().equals(jobType))
        .reduce((a, b) -> b)
        .map(RunView.Step::summary)
        .orElse("");
  }

  private static List<String> versions(Deployment platform) throws Exception {
    List<String> versions = new ArrayList<>();
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version FROM upshift_platform_version ORDER BY id")) {
      while (rs.next()) {
        versions.add(rs.getString(1));
      }
    }
    return versions;
  }
}
