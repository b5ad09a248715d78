package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.approval.ApprovalTask;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
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
      TestUsers.PROFILE
    })
class PlatformUpgradeIT {

  static final List<String> PLATFORMS =
      List.of("onehop", "twohops", "failhealth", "failsmoke", "failmigration");
  static final Map<String, Deployment> deployments = new TreeMap<>();
  static ReleaseRepository releases;

  @Autowired TestRestTemplate rest;

  /** Names of the tasks decided after the approval, in order. */
  final List<String> laterTasks = new ArrayList<>();

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
    for (String name : PLATFORMS) {
      Deployment platform = new Deployment(releases, name, scratch.resolve(name)).checkout("1.0.0");
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

  @Test
  void releaseThatNeverBecomesHealthyIsRolledBack() throws Exception {
    assertRolledBack("failhealth", "1.1.1-fail-health", "StartPlatform");
  }

  @Test
  void releaseWhoseSmokeWriteFailsIsRolledBack() throws Exception {
    assertRolledBack("failsmoke", "1.1.1-fail-smoke", "VerifyPlatform");
  }

  /**
   * The faulty migration passes the rehearsal (the poison row is gone then) and meets the poison
   * row on the real database, inserted while the run waits for approval: the cutover fails half way
   * through its migrations and the platform is rolled back with that row kept.
   */
  @Test
  void migrationThatFailsOnTheRealDatabaseIsRolledBack() throws Exception {
    Deployment platform = deployments.get("failmigration");
    execute(platform, "DELETE FROM items WHERE sku = 'POISON-SKU-TOO-LONG-0001'");
    Map<String, String> checksums = new TreeMap<>();

    RunView run =
        upgrade(
            "failmigration",
            "1.1.1-fail-migration",
            () -> {
              execute(
                  platform,
                  "INSERT INTO items (sku, name, quantity) VALUES ('POISON-SKU-ADDED-AFTER-REHEARSAL', 'late poison', 1)");
              checksums.putAll(settledChecksums(platform));
            });

    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
    assertThat(run.outcomeMessage()).contains("ApplyMigrations").contains("3.2");
    assertThat(summary(run, "upshift.backup.rehearse")).contains("1.1.1-fail-migration");
    platform.checkout("1.0.0");
    assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(30)))
        .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    assertThat(tableChecksums(platform)).isEqualTo(checksums);
  }

  private static void execute(Deployment platform, String sql) throws Exception {
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private void assertRolledBack(String name, String target, String failingStep) throws Exception {
    Deployment platform = deployments.get(name);
    Map<String, String> checksums = new TreeMap<>();

    // The write made after the backup, before the stop, is in the database the rollback restores.
    RunView run =
        upgrade(
            name,
            target,
            () -> {
              write(platform, "accepted before the stop");
              checksums.putAll(settledChecksums(platform));
            });

    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
    assertThat(run.currentElement()).isEqualTo("RolledBack");
    assertThat(run.outcomeMessage()).contains(failingStep);
    assertThat(summary(run, "upshift.backup.restore")).contains("version=1.0.0");
    platform.checkout("1.0.0");
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
        .contains("1.0.0");
    assertThat(tableChecksums(platform)).isEqualTo(checksums);
    assertThat(itemsNamed(platform, "accepted before the stop")).isEqualTo(1);
    assertThat(laterTasks).containsExactly("Review rollback");
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
                    Approvals.decide(rest, task, "approve", "checked");
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

  /**
   * Checksums once the platform's worker has processed the new write (it marks items processed
   * every few seconds): two reads 3 s apart that agree are the content the stop will find.
   */
  static Map<String, String> settledChecksums(Deployment platform) throws Exception {
    Map<String, String> previous = tableChecksums(platform);
    for (int i = 0; i < 20; i++) {
      Thread.sleep(3000);
      Map<String, String> now = tableChecksums(platform);
      if (now.equals(previous)) {
        return now;
      }
      previous = now;
    }
    throw new AssertionError("the platform's data did not settle within 60 s");
  }

  /** md5 of every table's rows in a stable order: equal maps mean equal content. */
  static Map<String, String> tableChecksums(Deployment platform) throws Exception {
    Map<String, String> sums = new TreeMap<>();
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String table : tables) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM public.\""
                    + table
                    + "\" t")) {
          rs.next();
          sums.put(table, rs.getString(1));
        }
      }
    }
    return sums;
  }
}
