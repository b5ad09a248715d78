package io.upshift.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.approval.ApprovalTask;
import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
import io.upshift.support.ApiWriter;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.EngineProcess;
import io.upshift.support.PlatformLocks;
import io.upshift.support.TestUsers;
import io.upshift.support.UpshiftDatabase;
import io.upshift.support.UpshiftProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.FileSystemUtils;

/**
 * Remote mode for real, as in production: the engine in a process of its own ({@code ./upshift
 * engine}), Upshift as {@code java -jar upshift.jar} with {@code upshift.engine.mode=remote} and
 * PostgreSQL as its own database, and a whole demo upgrade 1.0.0 -> 1.1.0 -> 1.1.1-fail-health with
 * a client writing through the platform's API the whole time. Upshift is killed with SIGKILL five
 * times: during the backup, while the run waits at its approval, during hop 1.1.0's migration,
 * during its start, and during the rollback of the faulty hop. Each time it starts again on the
 * same database and the run goes on by itself: nobody touches the run apart from deciding its
 * tasks. It ends rolled back to 1.1.0 with no side effect doubled (one backup per kind, migration 3
 * once, one version row) and every acknowledged write present or listed by the rollback.
 *
 * <p>A step is caught in the act by holding a PostgreSQL lock it needs (the backup's {@code
 * pg_dump}, the migration's {@code ALTER TABLE}), or by its own duration (a start waits for
 * health).
 */
class RemoteModeIT {

  /** The job types whose jobs a killed Upshift held: handed out again after 10 s. */
  static final Set<String> SHORT_TIMEOUT =
      Set.of(
          "upshift.backup.database",
          "upshift.backup.final",
          "upshift.compose.stop",
          "upshift.git.checkout",
          "upshift.config.migrate",
          "upshift.migration.apply",
          "upshift.compose.up",
          "upshift.verify.platform",
          "upshift.platform.record-version",
          "upshift.rollback.plan",
          "upshift.rollback.stop",
          "upshift.rollback.files",
          "upshift.rollback.database",
          "upshift.rollback.start");

  static final Set<String> ROLLBACK_STEPS =
      Set.of("upshift.rollback.files", "upshift.rollback.database", "upshift.rollback.start");

  @Test
  void aWholeUpgradeGoesOnThroughKillsOfUpshift() throws Exception {
    Path data = Path.of("target/it-data/remote").toAbsolutePath();
    FileSystemUtils.deleteRecursively(data);
    Files.createDirectories(data);
    Path bare = DemoPlatform.repository();
    try (ReleaseRepository releases =
            ReleaseRepository.open(bare.toUri().toString(), data.resolve("mirror.git"));
        Deployment platform =
            new Deployment(releases, "remote", data.resolve("platform")).checkout("1.0.0");
        EngineProcess engine = EngineProcess.start(data.resolve("engine.log"));
        UpshiftDatabase database = UpshiftDatabase.start("upshiftdb")) {
      assertThat(platform.bringUp())
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      execute(platform, "CREATE TABLE kill_hold (id INT)");

      Map<String, String> properties = new LinkedHashMap<>();
      properties.put("upshift.engine.mode", "remote");
      properties.put("camunda.client.mode", "self-managed");
      properties.put("camunda.client.grpc-address", engine.grpcAddress());
      // The embedded engine has no REST API; a real cluster would take the 8.8 default (REST).
      properties.put("camunda.client.prefer-rest-over-grpc", "false");
      properties.put("camunda.client.rest-address", "http://127.0.0.1:1");
      // The machine running the tests may be very busy (other builds): an engine in a JVM of its
      // own then answers later than the client's default of 10 s.
      properties.put("camunda.client.request-timeout", "PT30S");
      properties.put("upshift.engine.connect-timeout", "120s");
      properties.put("upshift.data-dir", data.resolve("upshift").toString());
      properties.putAll(database.properties());
      properties.put("spring.profiles.active", "test-users");
      properties.put(
          "spring.config.additional-location",
          "optional:file:" + Path.of("target/test-classes").toAbsolutePath() + "/");
      properties.put("upshift.platforms.remote.repository", bare.toUri().toString());
      properties.put("upshift.platforms.remote.working-directory", platform.directory.toString());
      properties.put("upshift.platforms.remote.compose-project", platform.project);
      // A job held by a killed Upshift is handed out again when its timeout passes; a live
      // worker keeps its deadline ahead (JobHeartbeat), so short timeouts are safe.
      for (String jobType : SHORT_TIMEOUT) {
        properties.put("camunda.client.worker.override[" + jobType + "].timeout", "PT10S");
      }

      List<String> report = new ArrayList<>();
      RunView run;
      String runId;
      List<String> laterTasks = new ArrayList<>();
      try (UpshiftProcess upshift = new UpshiftProcess(data, properties).start();
          ApiWriter writer =
              new ApiWriter(
                  platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
                  "w-remote")) {
        TestRestTemplate operator = TestUsers.as(upshift.rest(), TestUsers.OPERATOR);

        // Kill 1: during the backup, its pg_dump waiting for a lock the test holds.
        try (Connection hold = PlatformLocks.holdExclusively(platform, "kill_hold")) {
          ResponseEntity<RunView> started =
              operator.postForEntity(
                  "/api/runs",
                  Map.of(
                      "runbook",
                      "platform-upgrade",
                      "variables",
                      Map.of(
                          "platform",
                          "remote",
                          "targetVersion",
                          "1.1.1-fail-health",
                          "signOffWindow",
                          "PT5S",
                          // staging would refuse the faulty hop before the approval; this run
                          // is about kills up to its rollback, so it skips staging
                          "staging",
                          false)),
                  RunView.class);
          assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
          runId = started.getBody().id();
          awaitStepWaitingOnLock(upshift, platform, runId, "upshift.backup.database");
          report.add(kill(upshift, "during the backup (BackUpPlatform)"));
        }
        PlatformLocks.awaitNoLockWaits(platform);

        // Kill 2: waiting for a person. The task stays in the inbox and its job in the engine.
        operator = TestUsers.as(upshift.rest(), TestUsers.OPERATOR);
        ApprovalTask approval = Approvals.awaitTask(operator, runId);
        report.add(kill(upshift, "at the approval"));
        operator = TestUsers.as(upshift.rest(), TestUsers.OPERATOR);
        RunView afterApprovalKill = operator.getForObject("/api/runs/" + runId, RunView.class);
        assertThat(afterApprovalKill.state())
            .as(afterApprovalKill.outcomeMessage())
            .isEqualTo("active");
        ApprovalTask same = Approvals.awaitTask(operator, runId);
        assertThat(same.id()).isEqualTo(approval.id());

        // Kill 3: hop 1.1.0's migration, its ALTER TABLE waiting for a lock the test holds.
        try (Connection hold = PlatformLocks.holdItems(platform)) {
          Approvals.decide(operator, same, "approve", "after a restart");
          awaitStepWaitingOnLock(upshift, platform, runId, "upshift.migration.apply");
          report.add(kill(upshift, "during hop 1.1.0's migration (ApplyMigrations)"));
        }
        PlatformLocks.awaitNoLockWaits(platform);

        // Kill 4: while hop 1.1.0's release starts and is waited on.
        awaitRunning(upshift, runId, Set.of("upshift.compose.up"));
        report.add(kill(upshift, "during hop 1.1.0's start (StartPlatform)"));

        // Hop 1.1.1-fail-health never turns healthy; kill 5 hits its rollback.
        awaitRunning(upshift, runId, ROLLBACK_STEPS);
        String rollbackStep =
            TestUsers.as(upshift.rest(), TestUsers.VIEWER)
                .getForObject("/api/runs/" + runId, RunView.class)
                .steps()
                .stream()
                .filter(s -> ROLLBACK_STEPS.contains(s.jobType()) && "started".equals(s.state()))
                .map(RunView.Step::jobType)
                .reduce((a, b) -> b)
                .orElse("a rollback step");
        report.add(kill(upshift, "during the rollback (" + rollbackStep + ")"));

        // Nobody acts on the run from here but to decide its tasks: it goes on and ends.
        TestRestTemplate afterKill = TestUsers.as(upshift.rest(), TestUsers.VIEWER);
        Set<Long> decided = new java.util.HashSet<>(Set.of(approval.id()));
        String id = runId;
        run =
            await()
                .atMost(Duration.ofMinutes(10))
                .pollInterval(Duration.ofSeconds(1))
                .until(
                    () -> {
                      for (ApprovalTask task : Approvals.waiting(upshift.rest(), id)) {
                        if (decided.add(task.id())) {
                          laterTasks.add(task.name());
                          Approvals.decide(
                              upshift.rest(),
                              task,
                              task.name().equals("Review rollback") ? "reject" : "approve",
                              "checked");
                        }
                      }
                      return afterKill.getForObject("/api/runs/" + id, RunView.class);
                    },
                    r -> !r.state().equals("active"));
        writer.close();

        assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("rolled-back");
        assertThat(run.currentElement()).isEqualTo("RolledBack");
        assertThat(run.outcomeMessage()).contains("Rolled back to 1.1.0");
        assertThat(laterTasks).contains("Review rollback");
        assertThat(engine.alive()).isTrue();

        // No side effect doubled by the redelivered jobs: one backup before the approval and one
        // restore point at the stop of each hop; migration 3 once; one version row (1.1.0).
        assertThat(database.count("SELECT count(*) FROM backup WHERE run_id = ?", runId))
            .as("backup catalog rows of the run")
            .isEqualTo(3);
        assertThat(versions(platform)).containsExactly("1.1.0");
        assertThat(migrationsApplied(platform, "3")).isEqualTo(1);
        platform.checkout("1.1.0");
        assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(60)))
            .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
        assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());

        // Every acknowledged write is in the platform's database, or listed by the rollback and
        // kept in its failed state.
        Map<Long, String> acknowledged = writer.acknowledged();
        Map<Long, String> live = itemNames(platform, platform.connect());
        Set<String> listed =
            listedKeys(
                data.resolve("upshift/runs")
                    .resolve(runId)
                    .resolve("discarded-keys-1.1.1-fail-health.json"));
        String failedDb = "app_failed_" + runId.replace("-", "").substring(0, 8);
        Map<Long, String> failed =
            listed.isEmpty()
                ? Map.of()
                : itemNames(
                    platform,
                    java.sql.DriverManager.getConnection(
                        platform.jdbcUrl().substring(0, platform.jdbcUrl().lastIndexOf('/') + 1)
                            + failedDb,
                        platform.env().require("POSTGRES_USER"),
                        platform.env().require("POSTGRES_PASSWORD")));
        List<Long> lost = new ArrayList<>();
        long discarded = 0;
        for (Map.Entry<Long, String> write : acknowledged.entrySet()) {
          if (write.getValue().equals(live.get(write.getKey()))) {
            continue;
          }
          if (listed.contains(String.valueOf(write.getKey()))
              && write.getValue().equals(failed.get(write.getKey()))) {
            discarded++;
            continue;
          }
          lost.add(write.getKey());
        }
        Map<String, Long> deliveries = new TreeMap<>();
        run.steps().forEach(st -> deliveries.merge(st.jobType(), 1L, Long::sum));
        report.add(
            "run "
                + runId
                + " "
                + run.state()
                + " at "
                + run.currentElement()
                + "; deliveries "
                + deliveries
                + "; version rows: "
                + versions(platform)
                + "; migration 3 applied: "
                + migrationsApplied(platform, "3")
                + "; backups: "
                + database.count("SELECT count(*) FROM backup WHERE run_id = ?", runId)
                + "; acknowledged writes "
                + acknowledged.size()
                + ", lost "
                + lost.size()
                + ", listed and kept "
                + discarded
                + ", longest gap "
                + String.format("%.1f s", writer.longestGapSeconds()));
        report.forEach(line -> System.out.println("REMOTE-MODE | " + line));
        assertThat(acknowledged).isNotEmpty();
        assertThat(lost).as("acknowledged writes lost").isEmpty();
      }
    }
  }

  /** Kills Upshift with SIGKILL and starts it again on the same database; says what it did. */
  private static String kill(UpshiftProcess upshift, String where) throws Exception {
    long pid = upshift.pid();
    upshift.kill9();
    upshift.start();
    return "kill -9 of pid " + pid + " " + where + " -> restarted, the run goes on by itself";
  }

  /** Waits until one of {@code jobTypes} is started in the run (its newest delivery). */
  private static void awaitRunning(UpshiftProcess upshift, String runId, Set<String> jobTypes) {
    TestRestTemplate viewer = TestUsers.as(upshift.rest(), TestUsers.VIEWER);
    await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              RunView run = viewer.getForObject("/api/runs/" + runId, RunView.class);
              return run != null
                  && run.steps() != null
                  && run.steps().stream()
                      .anyMatch(s -> jobTypes.contains(s.jobType()) && "started".equals(s.state()));
            });
  }

  /** The step started and its statement waits for a lock the test holds: it is in the act. */
  private static void awaitStepWaitingOnLock(
      UpshiftProcess upshift, Deployment platform, String runId, String jobType) {
    awaitRunning(upshift, runId, Set.of(jobType));
    PlatformLocks.awaitLockWait(platform);
  }

  private static void execute(Deployment platform, String sql) throws SQLException {
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @SuppressWarnings("unchecked")
  private static Set<String> listedKeys(Path keysFile) throws java.io.IOException {
    if (!Files.exists(keysFile)) {
      return Set.of();
    }
    Map<String, List<String>> keys =
        new com.fasterxml.jackson.databind.ObjectMapper().readValue(keysFile.toFile(), Map.class);
    return Set.copyOf(keys.getOrDefault("items", List.of()));
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

  private static long migrationsApplied(Deployment platform, String version) throws Exception {
    try (Connection c = platform.connect();
        var ps =
            c.prepareStatement(
                "SELECT count(*) FROM flyway_schema_history WHERE version = ? AND success")) {
      ps.setString(1, version);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static Map<Long, String> itemNames(Deployment platform, Connection connection)
      throws Exception {
    Map<Long, String> names = new TreeMap<>();
    try (Connection c = connection;
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, name FROM items")) {
      while (rs.next()) {
        names.put(rs.getLong(1), rs.getString(2));
      }
    }
    return names;
  }
}
