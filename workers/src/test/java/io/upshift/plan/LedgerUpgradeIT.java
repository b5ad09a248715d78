package io.upshift.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import io.upshift.support.ApiWriter;
import io.upshift.support.Approvals;
import io.upshift.support.LedgerDeployment;
import io.upshift.support.LedgerPlatform;
import io.upshift.support.TestUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Upshift upgrading the ledger platform (deploy/ledger/), the test platform that is not shaped like
 * the demo: two databases on one server (one migrated by Flyway, one by the platform's own runner
 * in a one-off container of the target image), an uploads volume, no database port published, a
 * worker without a healthcheck, the manager first and a post-migration hook, {@code v}-tags and
 * descriptors kept outside the repository. Real engine, Docker, PostgreSQL and git; a client writes
 * through the API the whole time, and each of its acknowledged writes (a row in each database and a
 * file in the volume) is present afterwards or listed by the rollback's report.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/ledger-upgrade",
      TestUsers.PROFILE
    })
class LedgerUpgradeIT {

  static final List<String> PLATFORMS = List.of("twohops", "failmigration", "failhealth");
  static final Path DATA = Path.of("target/it-data/ledger-upgrade");
  static final ObjectMapper JSON = new ObjectMapper();

  static final Map<String, LedgerDeployment> deployments =
      java.util.Collections.synchronizedMap(new TreeMap<>());

  @Autowired TestRestTemplate rest;

  /** Names of the tasks decided after the approval, in order. */
  final List<String> laterTasks = new ArrayList<>();

  /** The approval task of the current test's run, with its evidence. */
  ApprovalTask approval;

  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  /**
   * The two-hop platform starts at 1.0.0; the faulty releases' platforms start at 1.1.0 (installed
   * by hand), so their runs are the one faulty hop. The three installs run side by side.
   */
  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    Path repository = LedgerPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-ledger-upgrade-it");
    List<java.util.concurrent.Future<?>> installs = new ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(PLATFORMS.size())) {
      for (String name : PLATFORMS) {
        Path directory = scratch.resolve(name);
        LedgerDeployment platform =
            new LedgerDeployment(repository, name, directory)
                .checkout(name.equals("twohops") ? "1.0.0" : "1.1.0");
        deployments.put(name, platform);
        installs.add(
            pool.submit(
                () -> {
                  platform.install();
                  return null;
                }));
        String prefix = "upshift.platforms." + name + ".";
        registry.add(prefix + "repository", () -> repository.toUri().toString());
        registry.add(prefix + "working-directory", directory::toString);
        registry.add(prefix + "compose-project", () -> platform.project);
        registry.add(prefix + "descriptors", () -> LedgerPlatform.descriptors().toString());
        registry.add(prefix + "tag-pattern", () -> LedgerPlatform.TAG_PATTERN);
      }
      for (var install : installs) {
        install.get();
      }
    }
  }

  @AfterAll
  static void tearDown() {
    deployments.values().forEach(LedgerDeployment::close);
  }

  /**
   * 1.0.0 -> 1.1.0 -> 1.2.0: both databases migrated (Flyway and the platform's runner), the hook
   * run after each hop's migrations, 1.2.0's manual step done in the inbox, the release notes of
   * both hops in the approval's evidence, every acknowledged write in both databases and the
   * volume.
   */
  @Test
  void twoHopUpgradeCompletesWithBothDatabasesAndTheVolume() throws Exception {
    LedgerDeployment platform = deployments.get("twohops");
    RunView run;
    Accounting accounting;
    try (ApiWriter writer = writer(platform, "twohops")) {
      run = upgrade("twohops", "1.2.0", () -> {});
      awaitMoreWrites(writer, 5);
      writer.close();
      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
      accounting = account(platform, writer, run.id(), List.of());
      report("two hops 1.0.0 -> 1.2.0", run, writer, accounting);
    }
    assertThat(accounting.lost()).as("acknowledged writes lost").isEmpty();
    assertThat(accounting.discarded()).isZero();

    assertThat(approval.evidence().toString())
        .as("release notes of both hops in the approval's evidence")
        .contains("# upshift-ledger 1.1.0")
        .contains("# upshift-ledger 1.2.0");
    // Each hop's release ran staged on the restored copy (api, worker, manager; its hook run in
    // the staged manager) and passed its checks; the estimate is built from the measured pieces.
    JsonNode staging = approval.evidence().at("/rehearsal/staging");
    System.out.println("STAGING | ledger two hops | " + staging);
    System.out.println(
        "ESTIMATE | ledger two hops | "
            + approval.evidence().at("/rehearsal/downtimeEstimate")
            + " | estimated "
            + approval.evidence().at("/estimatedDowntimeSeconds"));
    assertThat(staging.path("status").asText()).isEqualTo("passed");
    assertThat(staging.path("hops")).hasSize(2);
    for (JsonNode hop : staging.path("hops")) {
      assertThat(hop.path("status").asText()).as(hop.toString()).isEqualTo("passed");
      assertThat(hop.path("services").toString())
          .contains("\"api\":\"healthy\"")
          .contains("\"manager\":\"healthy\"")
          .contains("\"worker\":\"running\"");
      assertThat(hop.path("checks").toString())
          .contains("passed smoke create-item")
          .contains("passed invariant ledger/entries-have-currency");
    }
    assertThat(
            approval
                .evidence()
                .at("/rehearsal/downtimeEstimate/1/startUntilHealthySeconds")
                .asDouble())
        .isPositive();
    assertThat(laterTasks).startsWith("Manual step after migrations");
    assertThat(
            run.steps().stream()
                .filter(s -> s.jobType().equals("upshift.migration.apply"))
                .map(RunView.Step::summary)
                .toList())
        .as("each hop migrated both databases")
        .hasSize(2)
        .allSatisfy(s -> assertThat(s).contains("ledger").contains("files"));

    JsonNode version = JSON.readTree(platform.get("/api/version").body());
    assertThat(version.path("release").asText()).isEqualTo("1.2.0");
    assertThat(versions(platform)).containsExactly("1.1.0", "1.2.0");
    assertThat(
            platform.ids(
                "ledger",
                "SELECT count(*) FROM admin_revisions WHERE revision IN"
                    + " ('backfill-entry-currency', 'fill-file-content-types')"))
        .as("the post-migration hook applied each hop's data revision once")
        .containsExactly(2L);
    assertThat(platform.ids("files", "SELECT count(*) FROM pg_tables WHERE tablename = 'files'"))
        .containsExactly(1L);
  }

  /**
   * 1.1.0 -> 1.1.1-fail-migration: the ledger migration succeeds and the files database's fails
   * half-way on a long file name written while the run waited for approval (after the rehearsal,
   * which passed). Both databases and the uploads volume go back to the hop's restore point
   * together.
   */
  @Test
  void hopTwoWhoseSecondDatabaseFailsToMigrateRollsBothDatabasesAndTheVolumeBack()
      throws Exception {
    LedgerDeployment platform = deployments.get("failmigration");
    String longName = "a file name far longer than sixty-four characters, written after rehearsal";
    RunView run;
    Accounting accounting;
    try (ApiWriter writer = writer(platform, "failmigration")) {
      run =
          upgrade(
              "failmigration", "1.1.1-fail-migration", () -> assertThat(write(platform, longName)));
      awaitMoreWrites(writer, 5);
      writer.close();
      assertRolledBackToOneOneZero(platform, run, "ApplyMigrations");
      accounting = account(platform, writer, run.id(), hop("1.1.1-fail-migration"));
      report("1.1.0 -> 1.1.1-fail-migration fails at ApplyMigrations", run, writer, accounting);
    }
    assertThat(accounting.lost()).as("acknowledged writes lost").isEmpty();
    assertThat(
            platform.ids("ledger", "SELECT count(*) FROM entries WHERE name = '" + longName + "'"))
        .as("the long name, written before the stop, is back")
        .containsExactly(1L);
    assertThat(
            platform.ids(
                "ledger", "SELECT count(*) FROM flyway_schema_history WHERE version = '2.1'"))
        .as("ledger V2.1 undone with its database")
        .containsExactly(0L);
    assertThat(platform.ids("files", "SELECT version::bigint FROM ledger_migrate_version"))
        .as("files database back at 2")
        .containsExactly(2L);
  }

  /**
   * 1.1.0 -> 1.1.1-fail-health: the faulty release migrates both databases and takes writes into
   * both and the volume while its API never turns healthy; all three are put back to the hop's
   * restore point, and what the faulty release wrote is listed and kept.
   */
  @Test
  void hopTwoThatNeverBecomesHealthyRollsBothDatabasesAndTheVolumeBack() throws Exception {
    LedgerDeployment platform = deployments.get("failhealth");
    RunView run;
    Accounting accounting;
    try (ApiWriter writer = writer(platform, "failhealth")) {
      // Staging would refuse this release before the approval (its API never turns healthy on the
      // staged copy either); this row tests the rollback after the point of no return, so its run
      // skips staging to reach the cutover.
      run = upgrade("failhealth", "1.1.1-fail-health", () -> {}, Map.of("staging", false));
      awaitMoreWrites(writer, 5);
      writer.close();
      assertRolledBackToOneOneZero(platform, run, "StartPlatform");
      accounting = account(platform, writer, run.id(), hop("1.1.1-fail-health"));
      report("1.1.0 -> 1.1.1-fail-health fails at StartPlatform", run, writer, accounting);
    }
    assertThat(accounting.lost()).as("acknowledged writes lost").isEmpty();
    assertThat(accounting.discarded())
        .as("writes the faulty release acknowledged, listed and kept")
        .isPositive();
    assertThat(run.outcomeMessage()).contains("Database ledger").contains("Database files");
    assertThat(run.outcomeMessage()).contains("Volume uploads");
  }

  private void assertRolledBackToOneOneZero(LedgerDeployment platform, RunView run, String step)
      throws Exception {
    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
    assertThat(run.outcomeMessage()).contains(step).contains("Rolled back to 1.1.0");
    assertThat(laterTasks).containsExactly("Review rollback");
    JsonNode version = JSON.readTree(platform.get("/api/version").body());
    assertThat(version.path("release").asText()).isEqualTo("1.1.0");
    assertThat(version.path("schemas").path("ledger").asText()).isEqualTo("2");
    assertThat(version.path("schemas").path("files").asText()).isEqualTo("2");
    assertThat(versions(platform)).as("no version recorded by the undone hop").isEmpty();
  }

  /** The hop's name in the rollback's file names (its release tag). */
  private static List<String> hop(String version) {
    return List.of(LedgerPlatform.tag(version));
  }

  record Accounting(int acknowledged, List<Long> lost, long discarded) {}

  /**
   * Each acknowledged write is present in all three places (an {@code entries} row in ledger, a
   * {@code files} row in files, {@code <id>.json} in uploads), or listed in all three by the
   * rollback of {@code hops} and held by the kept failed states.
   */
  private static Accounting account(
      LedgerDeployment platform, ApiWriter writer, String runId, List<String> hops)
      throws Exception {
    Map<Long, String> acknowledged = writer.acknowledged();
    Map<Long, String> entries = new HashMap<>();
    try (Connection c = platform.connect("ledger");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, name FROM entries")) {
      while (rs.next()) {
        entries.put(rs.getLong(1), rs.getString(2));
      }
    }
    Set<Long> files = platform.ids("files", "SELECT item_id FROM files");
    Set<Long> uploads = platform.uploads();
    Set<String> listedEntries = new HashSet<>();
    Set<String> listedFiles = new HashSet<>();
    Set<String> listedUploads = new HashSet<>();
    Path runDir = DATA.resolve("runs").resolve(runId);
    for (String hop : hops) {
      listedEntries.addAll(
          keys(runDir.resolve("discarded-keys-" + hop + "-ledger.json"), "entries"));
      listedFiles.addAll(keys(runDir.resolve("discarded-keys-" + hop + "-files.json"), "files"));
      listedUploads.addAll(
          keys(runDir.resolve("discarded-files-" + hop + "-uploads.json"), "added"));
    }
    String tag = runId.replace("-", "").substring(0, 8);
    Set<Long> failedEntries =
        listedEntries.isEmpty()
            ? Set.of()
            : platform.ids("ledger_failed_" + tag, "SELECT id FROM entries");
    List<Long> lost = new ArrayList<>();
    long discarded = 0;
    for (Map.Entry<Long, String> write : acknowledged.entrySet()) {
      long id = write.getKey();
      if (write.getValue().equals(entries.get(id)) && files.contains(id) && uploads.contains(id)) {
        continue;
      }
      if (listedEntries.contains(String.valueOf(id))
          && failedEntries.contains(id)
          && listedFiles.contains(String.valueOf(id))
          && listedUploads.contains(id + ".json")) {
        discarded++;
        continue;
      }
      lost.add(id);
    }
    return new Accounting(acknowledged.size(), lost, discarded);
  }

  private static List<String> keys(Path file, String key) throws java.io.IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    Map<String, List<String>> all =
        JSON.readValue(file.toFile(), new TypeReference<Map<String, List<String>>>() {});
    return all.getOrDefault(key, List.of());
  }

  private static void report(String fault, RunView run, ApiWriter writer, Accounting a) {
    System.out.printf(
        "FAULT-MATRIX | ledger %s | %s at %s | acknowledged %d | lost %d | discarded-and-kept %d |"
            + " longest gap between acknowledged writes %.1f s%n",
        fault,
        run.state(),
        run.currentElement(),
        a.acknowledged(),
        a.lost().size(),
        a.discarded(),
        writer.longestGapSeconds());
  }

  private static ApiWriter writer(LedgerDeployment platform, String name) {
    return new ApiWriter(platform.apiUrl() + "/api/items", "w-" + name);
  }

  /** Waits until the platform acknowledged {@code n} more writes (it serves again). */
  private static void awaitMoreWrites(ApiWriter writer, int n) {
    int before = writer.acknowledged().size();
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> writer.acknowledged().size() >= before + n);
  }

  private static int write(LedgerDeployment platform, String name) throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(platform.apiUrl() + "/api/items"))
                    .header("Content-Type", "application/json")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"name\": \"" + name + "\", \"quantity\": 1}"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return response.statusCode();
  }

  private static List<String> versions(LedgerDeployment platform) throws Exception {
    List<String> versions = new ArrayList<>();
    try (Connection c = platform.connect("ledger");
        Statement s = c.createStatement()) {
      try (ResultSet exists = s.executeQuery("SELECT to_regclass('upshift.platform_version')")) {
        exists.next();
        if (exists.getString(1) == null) {
          return versions; // nothing recorded yet
        }
      }
      try (ResultSet rs =
          s.executeQuery("SELECT version FROM upshift.platform_version ORDER BY id")) {
        while (rs.next()) {
          versions.add(rs.getString(1));
        }
      }
    }
    return versions;
  }

  interface WhileWaiting {
    void run() throws Exception;
  }

  /**
   * Starts the upgrade, does {@code whileWaiting} at the approval, approves, then decides every
   * later task (manual steps and sign-off approved, a rollback review keeps the failed state) as
   * the approver until the run ends.
   */
  private RunView upgrade(String platform, String target, WhileWaiting whileWaiting)
      throws Exception {
    return upgrade(platform, target, whileWaiting, Map.of());
  }

  private RunView upgrade(
      String platform, String target, WhileWaiting whileWaiting, Map<String, Object> extra)
      throws Exception {
    Map<String, Object> variables =
        new HashMap<>(
            Map.of("platform", platform, "targetVersion", target, "signOffWindow", "PT1S"));
    variables.putAll(extra);
    ResponseEntity<RunView> started =
        rest.postForEntity(
            "/api/runs",
            Map.of("runbook", "platform-upgrade", "variables", variables),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = started.getBody().id();
    approval = Approvals.awaitTask(rest, id);
    whileWaiting.run();
    Approvals.decide(rest, approval, "approve", "window now");
    Set<Long> decided = new HashSet<>(Set.of(approval.id()));
    return await()
        .atMost(Duration.ofMinutes(8))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (ApprovalTask task : Approvals.waiting(rest, id)) {
                if (decided.add(task.id())) {
                  laterTasks.add(task.name());
                  Approvals.decide(
                      rest,
                      task,
                      task.name().equals("Review rollback") ? "reject" : "approve",
                      "checked");
                }
              }
              return rest.getForObject("/api/runs/" + id, RunView.class);
            },
            run -> !run.state().equals("active"));
  }
}
