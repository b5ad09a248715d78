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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The demo's expand/contract upgrade 1.2.0 -> 2.0.0 on the real engine, Docker, PostgreSQL and git,
 * with the platform's API written to the whole time: V5 (expand) is applied while 1.2.0 still
 * serves, V5.1 (catch-up) inside the downtime, V6 (contract) after 2.0.0 is started and verified;
 * no acknowledged write is lost and every item 1.2.0's worker processed after V5 ends up with
 * status processed. An expand migration that fails on the live database (its column is there
 * already) ends the run before the stop with nothing undone. A contract migration that fails on the
 * live database (a view a person created depends on the dropped column) does not roll back: it asks
 * a person, retry runs it again, and "leave pending" completes the run with a warning naming V6.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/expand-contract",
      TestUsers.PROFILE
    })
class ExpandContractUpgradeIT {

  static final List<String> PLATFORMS = List.of("expand", "contract");
  static final Map<String, Deployment> deployments = new TreeMap<>();
  static ReleaseRepository releases;

  @Autowired TestRestTemplate rest;
  @Autowired JdbcClient upshiftDb;

  /** Names of the tasks decided after the approval, in order. */
  final List<String> laterTasks = new ArrayList<>();

  /** What the approver was shown, of the last run started. */
  com.fasterxml.jackson.databind.JsonNode evidence;

  @BeforeEach
  void signIn() {
    rest = TestUsers.as(rest, TestUsers.OPERATOR);
  }

  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-expand-contract-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    for (int i = 0; i < PLATFORMS.size(); i++) {
      String name = PLATFORMS.get(i);
      Deployment platform = new Deployment(releases, name, scratch.resolve(name)).checkout("1.2.0");
      deployments.put(name, platform);
      projectNetwork(platform.project, "10.214." + i + ".0/24");
      platform.register(registry, name, bare);
    }
    // Both at once: most of a bring-up is waiting for healthchecks.
    List<java.util.concurrent.CompletableFuture<Map<String, String>>> up = new ArrayList<>();
    for (Deployment platform : deployments.values()) {
      up.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return platform.bringUp();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              }));
    }
    for (var health : up) {
      assertThat(health.join()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    }
  }

  /**
   * The compose project's default network, created beforehand on a subnet outside Docker's default
   * address pools: on a machine shared by several test runs those pools run out (about 30
   * networks), and compose uses a network it finds with its labels. {@code compose down} removes
   * it.
   */
  static void projectNetwork(String project, String subnet) {
    var docker = io.upshift.compose.DockerClients.local();
    String name = project + "_default";
    if (docker.listNetworksCmd().withNameFilter(name).exec().stream()
        .anyMatch(n -> n.getName().equals(name))) {
      return;
    }
    docker
        .createNetworkCmd()
        .withName(name)
        .withDriver("bridge")
        .withIpam(
            new com.github.dockerjava.api.model.Network.Ipam()
                .withConfig(
                    new com.github.dockerjava.api.model.Network.Ipam.Config().withSubnet(subnet)))
        .withLabels(
            Map.of(
                "com.docker.compose.network", "default",
                "com.docker.compose.project", project,
                "com.docker.compose.version", "1.29.2"))
        .exec();
  }

  @AfterAll
  static void tearDown() {
    deployments.values().forEach(Deployment::close);
    releases.close();
  }

  @Test
  void expandBeforeTheStopCatchUpInTheDowntimeContractAfterTheStart() throws Exception {
    Deployment platform = deployments.get("expand");
    String base = platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}");
    // 1.2.0 answers the v1 path, 2.0.0 the v2 one: one writer each, the whole time.
    AtomicReference<Set<Long>> processedByTheOldWorkerAfterV5 = new AtomicReference<>();
    AtomicReference<Map<Long, String>> statusAfterTheDowntime = new AtomicReference<>();
    RunView run;
    ApiWriter v1 = new ApiWriter(base + "/api/items", "w-v1");
    ApiWriter v2 = new ApiWriter(base + "/api/v2/items", "w-v2");
    try (v1;
        v2) {
      run =
          upgrade(
              "expand",
              "2.0.0",
              Map.of(),
              id ->
                  watchTheCutover(
                      platform, id, processedByTheOldWorkerAfterV5, statusAfterTheDowntime));
      v1.close();
      v2.close();
    }
    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
    // The approver saw when each migration runs, and the rehearsal timed the phases apart.
    List<String> phases = new ArrayList<>();
    evidence
        .at("/plan/hops/0/migrations")
        .forEach(m -> phases.add(m.get("script").asText() + " " + m.get("phase").asText()));
    assertThat(phases)
        .containsExactlyInAnyOrder(
            "migrations/V5.1__catch_up_status.sql downtime",
            "migrations/V5__item_status.sql pre-deployment",
            "migrations/V6__drop_processed_at.sql post-deployment");
    // On the copy, the running 1.2.0 passed its own checks after the expand step (it serves
    // while that step runs), then 2.0.0 passed its checks on the fully migrated copy.
    assertThat(evidence.at("/rehearsal/staging/hops/0/hop").asText()).isEqualTo("1.2.0-expanded");
    assertThat(evidence.at("/rehearsal/staging/hops/0/status").asText()).isEqualTo("passed");
    assertThat(evidence.at("/rehearsal/staging/hops/0/stagedAfter").asText())
        .contains("pre-deployment (expand) migrations of 2.0.0");
    assertThat(evidence.at("/rehearsal/staging/hops/0/checks").toString())
        .contains("passed smoke version")
        .contains("passed smoke create-item");
    assertThat(evidence.at("/rehearsal/staging/hops/1/hop").asText()).isEqualTo("2.0.0");
    assertThat(evidence.at("/rehearsal/staging/hops/1/status").asText()).isEqualTo("passed");
    assertThat(evidence.at("/rehearsal/downtimeEstimate/0/stopBasis").asText())
        .startsWith("measured: the staged 1.2.0");
    assertThat(evidence.at("/rehearsal/preDeploymentSeconds").asDouble()).isPositive();
    assertThat(evidence.at("/rehearsal/postDeploymentSeconds").asDouble()).isPositive();
    assertThat(
            evidence.at("/rehearsal/databases/0/migrations/0/phases/downtime/applied").toString())
        .isEqualTo("[\"5.1 catch up status\"]");
    System.out.printf(
        "EXPAND-CONTRACT | rehearsal: pre %.3f s, downtime %.3f s, post %.3f s, estimate %.1f s%n",
        evidence.at("/rehearsal/preDeploymentSeconds").asDouble(),
        evidence.at("/rehearsal/migrationSeconds").asDouble(),
        evidence.at("/rehearsal/postDeploymentSeconds").asDouble(),
        evidence.at("/rehearsal/estimatedDowntimeSeconds").asDouble());
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .containsSubsequence(
            "upshift.compose.pull",
            "upshift.migration.pre-deploy",
            "upshift.compose.stop",
            "upshift.backup.final",
            "upshift.migration.apply",
            "upshift.compose.up",
            "upshift.verify.platform",
            "upshift.platform.record-version",
            "upshift.migration.post-deploy");
    assertThat(summary(run, "upshift.migration.pre-deploy")).contains("5 item status");
    assertThat(summary(run, "upshift.migration.apply"))
        .contains("5.1 catch up status")
        .doesNotContain("6 drop processed at");
    assertThat(summary(run, "upshift.migration.post-deploy")).contains("6 drop processed at");

    // The phases against the cutover log's own clock.
    Map<String, Instant> log = cutoverLog(run.id(), "2.0.0");
    Map<String, Instant> installed = installedOn(platform);
    System.out.printf(
        "EXPAND-CONTRACT | step durations: pre-deploy %d ms, apply (downtime) %d ms, post-deploy"
            + " %d ms%n",
        duration(run, "upshift.migration.pre-deploy"),
        duration(run, "upshift.migration.apply"),
        duration(run, "upshift.migration.post-deploy"));
    System.out.printf(
        "EXPAND-CONTRACT | V5 %s | STOP %s | V5.1 %s | START %s | DONE %s | V6 %s%n",
        installed.get("5"),
        log.get("STOP"),
        installed.get("5.1"),
        log.get("START"),
        log.get("DONE"),
        installed.get("6"));
    assertThat(installed.get("5")).as("V5 before the stop").isBefore(log.get("STOP"));
    assertThat(installed.get("5.1"))
        .as("V5.1 inside the downtime")
        .isAfter(log.get("STOP"))
        .isBefore(log.get("START"));
    assertThat(installed.get("6")).as("V6 after the start").isAfter(log.get("DONE"));

    // No acknowledged write lost, through either API.
    Map<Long, String> acknowledged = new HashMap<>(v1.acknowledged());
    acknowledged.putAll(v2.acknowledged());
    Map<Long, String> live = itemNames(platform);
    List<Long> lost =
        acknowledged.entrySet().stream()
            .filter(w -> !w.getValue().equals(live.get(w.getKey())))
            .map(Map.Entry::getKey)
            .toList();
    System.out.printf(
        "EXPAND-CONTRACT | acknowledged v1 %d, v2 %d | lost %d | longest gap v1 %.1f s, v2 %.1f s"
            + " | processed by 1.2.0 after V5: %d | downtime %s%n",
        v1.acknowledged().size(),
        v2.acknowledged().size(),
        lost.size(),
        v1.longestGapSeconds(),
        v2.longestGapSeconds(),
        processedByTheOldWorkerAfterV5.get() == null
            ? -1
            : processedByTheOldWorkerAfterV5.get().size(),
        summary(run, "upshift.compose.up"));
    assertThat(v1.acknowledged()).as("1.2.0 served writes").isNotEmpty();
    assertThat(v2.acknowledged()).as("2.0.0 served writes").isNotEmpty();
    assertThat(lost).as("acknowledged writes lost").isEmpty();

    // What 1.2.0's worker processed after V5 (processed_at set, status left 'new') was caught up by
    // V5.1 in the downtime, before 2.0.0 (which reads only status) started.
    assertThat(processedByTheOldWorkerAfterV5.get()).as("seen at the stop").isNotNull();
    assertThat(statusAfterTheDowntime.get()).as("seen after the downtime's migrations").isNotNull();
    for (Long id : processedByTheOldWorkerAfterV5.get()) {
      assertThat(statusAfterTheDowntime.get().get(id)).as("item %s", id).isEqualTo("processed");
    }
    assertThat(
            count(platform, "SELECT count(*) FROM items WHERE status NOT IN ('new', 'processed')"))
        .isZero();
    assertThat(
            count(
                platform,
                "SELECT count(*) FROM information_schema.columns"
                    + " WHERE table_name = 'items' AND column_name = 'processed_at'"))
        .as("processed_at dropped by V6")
        .isZero();
    assertThat(laterTasks).containsExactly("Sign off upgrade");
  }

  /**
   * On one platform, one after the other: an expand migration that fails on the live database ends
   * the run before the stop with nothing undone; then a contract migration that fails asks a person
   * instead of rolling back.
   */
  @Test
  void aFailedExpandStopsNothingAndAFailedContractAsksAPersonInsteadOfRollingBack()
      throws Exception {
    Deployment platform = deployments.get("contract");
    // The live schema drifted after the rehearsal: V5 cannot add a column that is there already.
    RunView expand =
        upgrade(
            "contract",
            "2.0.0",
            Map.of(),
            id -> execute(platform, "ALTER TABLE items ADD COLUMN status text"));
    assertThat(expand.state()).as(expand.outcomeMessage()).isEqualTo("failed");
    assertThat(expand.currentElement()).isEqualTo("FailedNothingChanged");
    assertThat(expand.outcomeMessage())
        .contains("PreDeploymentMigrations")
        .contains("Pre-deployment migration of 2.0.0 failed while 1.2.0 still serves")
        .contains("V5__item_status.sql")
        .contains("no pre-deployment migration stayed applied")
        .contains("nothing was stopped");
    assertThat(expand.steps())
        .extracting(RunView.Step::jobType)
        .doesNotContain("upshift.compose.stop", "upshift.rollback.plan");
    assertThat(installedOn(platform)).doesNotContainKey("5");
    assertThat(laterTasks).isEmpty();
    execute(platform, "ALTER TABLE items DROP COLUMN status");

    // Created on the live database after the rehearsal (while the run waits for approval), a report
    // view depends on the column V6 drops: V6 passed on the copy and fails on the live database.
    List<String> decisions = new ArrayList<>(List.of("retry", "leave-pending"));
    RunView run =
        upgrade(
            "contract",
            "2.0.0",
            Map.of("decisions", decisions),
            id ->
                execute(
                    platform,
                    "CREATE VIEW items_done_report AS SELECT id, processed_at FROM items"));

    assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
    assertThat(run.outcomeMessage())
        .contains("2.0.0 serves with post-deployment migrations left pending")
        .contains("still pending: main: 6 drop processed at")
        .contains("items_done_report");
    assertThat(laterTasks)
        .containsExactly(
            "Decide on the failed post-deployment migration",
            "Decide on the failed post-deployment migration",
            "Sign off upgrade");
    assertThat(
            run.steps().stream().filter(s -> s.jobType().equals("upshift.migration.post-deploy")))
        .as("retry ran the step again")
        .hasSize(2);
    assertThat(run.steps())
        .extracting(RunView.Step::jobType)
        .doesNotContain("upshift.rollback.plan");
    // 2.0.0 serves on schema 5.1, V6 still pending.
    assertThat(installedOn(platform)).containsKeys("5", "5.1").doesNotContainKey("6");
    var version =
        platform.send(
            "GET",
            platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/version"),
            Map.of(),
            null);
    assertThat(version.body()).contains("2.0.0");
  }

  /**
   * Runs beside the upgrade: when the stop completed, notes the items 1.2.0's worker processed
   * after V5 (processed_at set, status still 'new'); when the downtime's migrations completed, and
   * before 2.0.0's worker can start, notes their status.
   */
  private void watchTheCutover(
      Deployment platform,
      String runId,
      AtomicReference<Set<Long>> atStop,
      AtomicReference<Map<Long, String>> afterMigrations) {
    Thread watcher =
        new Thread(
            () -> {
              try {
                await()
                    .atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> completed(runId, "upshift.compose.stop"));
                Set<Long> ids = new HashSet<>();
                try (Connection c = platform.connect();
                    Statement st = c.createStatement();
                    ResultSet rs =
                        st.executeQuery(
                            "SELECT i.id FROM items i, flyway_schema_history h"
                                + " WHERE h.version = '5' AND i.processed_at > h.installed_on"
                                + " AND i.status = 'new'")) {
                  while (rs.next()) {
                    ids.add(rs.getLong(1));
                  }
                }
                atStop.set(ids);
                await()
                    .atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> completed(runId, "upshift.migration.apply"));
                Map<Long, String> status = new HashMap<>();
                try (Connection c = platform.connect();
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT id, status FROM items")) {
                  while (rs.next()) {
                    status.put(rs.getLong(1), rs.getString(2));
                  }
                }
                afterMigrations.set(status);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    watcher.setDaemon(true);
    watcher.start();
  }

  private boolean completed(String runId, String jobType) {
    return rest.getForObject("/api/runs/" + runId, RunView.class).steps().stream()
        .anyMatch(s -> s.jobType().equals(jobType) && "completed".equals(s.state()));
  }

  interface Started {
    void run(String runId) throws Exception;
  }

  /**
   * Starts the upgrade, approves it at once, then decides every later task as the approver until
   * the run ends: the post-deployment decision by the next of {@code extra.decisions}, the rest
   * approve.
   */
  @SuppressWarnings("unchecked")
  private RunView upgrade(
      String platform, String target, Map<String, Object> extra, Started started) throws Exception {
    List<String> decisions =
        new ArrayList<>((List<String>) extra.getOrDefault("decisions", List.of()));
    ResponseEntity<RunView> response =
        rest.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "platform-upgrade",
                "variables",
                Map.of("platform", platform, "targetVersion", target)),
            RunView.class);
    assertThat(response.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    String id = response.getBody().id();
    ApprovalTask approval = Approvals.awaitTask(rest, id);
    evidence = approval.evidence();
    started.run(id);
    Approvals.decide(rest, approval, "approve", "window now");
    Set<Long> decided = new HashSet<>(Set.of(approval.id()));
    return await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (ApprovalTask task : Approvals.waiting(rest, id)) {
                if (decided.add(task.id())) {
                  laterTasks.add(task.name());
                  String decision =
                      task.elementId().equals("DecidePostDeployment") && !decisions.isEmpty()
                          ? decisions.remove(0)
                          : "approve";
                  Approvals.decide(rest, task, decision, "checked");
                }
              }
              return rest.getForObject("/api/runs/" + id, RunView.class);
            },
            run -> !run.state().equals("active"));
  }

  /** When the cutover log recorded each action of the hop (Upshift's clock). */
  private Map<String, Instant> cutoverLog(String runId, String hop) {
    Map<String, Instant> at = new HashMap<>();
    upshiftDb
        .sql("SELECT action, recorded_at FROM cutover_action WHERE run_id = ? AND hop = ?")
        .params(runId, hop)
        .query(
            (rs, n) ->
                at.put(
                    rs.getString(1), rs.getObject(2, java.time.OffsetDateTime.class).toInstant()))
        .list();
    return at;
  }

  /** Flyway's installed_on per version (the database's clock, same host). */
  private static Map<String, Instant> installedOn(Deployment platform) throws Exception {
    Map<String, Instant> at = new HashMap<>();
    try (Connection c = platform.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT version, installed_on::timestamptz FROM flyway_schema_history"
                    + " WHERE success AND version IS NOT NULL")) {
      while (rs.next()) {
        at.put(rs.getString(1), rs.getObject(2, java.time.OffsetDateTime.class).toInstant());
      }
    }
    return at;
  }

  private static Map<Long, String> itemNames(Deployment platform) throws Exception {
    Map<Long, String> names = new HashMap<>();
    try (Connection c = platform.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, name FROM items WHERE name LIKE 'w-%'")) {
      while (rs.next()) {
        names.put(rs.getLong(1), rs.getString(2));
      }
    }
    return names;
  }

  private static long count(Deployment platform, String sql) throws Exception {
    try (Connection c = platform.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void execute(Deployment platform, String sql) throws Exception {
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static long duration(RunView run, String jobType) {
    return run.steps().stream()
        .filter(s -> s.jobType().equals(jobType) && s.durationMs() != null)
        .mapToLong(RunView.Step::durationMs)
        .sum();
  }

  private static String summary(RunView run, String jobType) {
    return run.steps().stream()
        .filter(s -> s.jobType().equals(jobType))
        .reduce((a, b) -> b)
        .map(RunView.Step::summary)
        .orElse("");
  }
}
