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
import io.upshift.support.TestUsers;
import io.upshift.support.UpshiftDatabase;
import io.upshift.support.UpshiftProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * PostgreSQL as its own database, and a whole demo upgrade (1.0.0 to 1.1.0) with a client writing
 * through the platform's API the whole time. Upshift is killed with SIGKILL twice: while the run
 * waits at its approval, and inside the cutover (the platform stopped, a step half done). Each time
 * it starts again on the same database and the run goes on by itself: the approval is decided after
 * the first restart, nobody touches the run after the second. No side effect is doubled and no
 * acknowledged write is lost.
 */
class RemoteModeIT {

  /** The steps inside the cutover; the second kill hits whichever of them is running. */
  static final Set<String> CUTOVER_STEPS =
      Set.of(
          "upshift.backup.final",
          "upshift.git.checkout",
          "upshift.config.migrate",
          "upshift.migration.apply",
          "upshift.compose.up",
          "upshift.verify.platform");

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
      for (String jobType : CUTOVER_STEPS) {
        properties.put("camunda.client.worker.override[" + jobType + "].timeout", "PT10S");
      }
      properties.put("camunda.client.worker.override[upshift.compose.stop].timeout", "PT10S");
      properties.put(
          "camunda.client.worker.override[upshift.platform.record-version].timeout", "PT10S");

      List<String> report = new ArrayList<>();
      String runId;
      String killedIn;
      RunView run;
      try (UpshiftProcess upshift = new UpshiftProcess(data, properties).start();
          ApiWriter writer =
              new ApiWriter(
                  platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
                  "w-remote")) {
        TestRestTemplate operator = TestUsers.as(upshift.rest(), TestUsers.OPERATOR);
        ResponseEntity<RunView> started =
            operator.postForEntity(
                "/api/runs",
                Map.of(
                    "runbook",
                    "platform-upgrade",
                    "variables",
                    Map.of(
                        "platform", "remote", "targetVersion", "1.1.0", "signOffWindow", "PT5S")),
                RunView.class);
        assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
        runId = started.getBody().id();
        ApprovalTask approval = Approvals.awaitTask(operator, runId);

        // Kill 1: waiting for a person. The task stays in the inbox and its job in the engine.
        long pid = upshift.pid();
        upshift.kill9();
        upshift.start();
        operator = TestUsers.as(upshift.rest(), TestUsers.OPERATOR);
        RunView afterFirst = operator.getForObject("/api/runs/" + runId, RunView.class);
        assertThat(afterFirst.state()).as(afterFirst.outcomeMessage()).isEqualTo("active");
        ApprovalTask same = Approvals.awaitTask(operator, runId);
        assertThat(same.id()).isEqualTo(approval.id());
        report.add(
            "kill -9 of pid "
                + pid
                + " at the approval -> after the restart the run is active and its task waits");
        Approvals.decide(operator, same, "approve", "after a restart");

        // Kill 2: inside the cutover, while a step works on the stopped platform.
        TestRestTemplate viewer = TestUsers.as(upshift.rest(), TestUsers.VIEWER);
        String id = runId;
        RunView.Step working =
            await()
                .atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(100))
                .until(
                    () -> runningCutoverStep(viewer.getForObject("/api/runs/" + id, RunView.class)),
                    Optional::isPresent)
                .orElseThrow();
        pid = upshift.pid();
        upshift.kill9();
        killedIn = working.jobType();
        report.add(
            "kill -9 of pid " + pid + " during " + killedIn + " (" + working.elementId() + ")");
        upshift.start();

        // Nobody acts on the run from here: it goes on by itself and ends.
        TestRestTemplate afterKill = TestUsers.as(upshift.rest(), TestUsers.VIEWER);
        run =
            await()
                .atMost(Duration.ofMinutes(8))
                .pollInterval(Duration.ofSeconds(1))
                .until(
                    () -> afterKill.getForObject("/api/runs/" + id, RunView.class),
                    r -> !r.state().equals("active"));
        writer.close();

        assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
        assertThat(run.currentElement()).isEqualTo("Upgraded");
        assertThat(engine.alive()).isTrue();

        // No side effect doubled by the redelivered job.
        // One backup before the approval and one restore point at the stop of the one hop.
        assertThat(database.count("SELECT count(*) FROM backup WHERE run_id = ?", runId))
            .as("backup catalog rows of the run")
            .isEqualTo(2);
        assertThat(versions(platform)).containsExactly("1.1.0");
        assertThat(migrationsApplied(platform, "3")).isEqualTo(1);
        platform.checkout("1.1.0");
        assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
        assertThat(platform.violatedInvariants()).isEmpty();

        // Every acknowledged write is in the platform's database.
        Map<Long, String> acknowledged = writer.acknowledged();
        Map<Long, String> live = itemNames(platform);
        List<Long> lost = new ArrayList<>();
        acknowledged.forEach(
            (key, name) -> {
              if (!name.equals(live.get(key))) {
                lost.add(key);
              }
            });
        report.add(
            "run "
                + runId
                + " "
                + run.state()
                + " at "
                + run.currentElement()
                + "; deliveries of "
                + killedIn
                + ": "
                + run.steps().stream().filter(s -> s.jobType().equals(killedIn)).count()
                + "; version rows 1.1.0: "
                + versions(platform).size()
                + "; migration 3 applied: "
                + migrationsApplied(platform, "3")
                + "; backups: "
                + database.count("SELECT count(*) FROM backup WHERE run_id = ?", runId)
                + "; acknowledged writes "
                + acknowledged.size()
                + ", lost "
                + lost.size()
                + ", longest gap "
                + String.format("%.1f s", writer.longestGapSeconds()));
        report.forEach(line -> System.out.println("REMOTE-MODE | " + line));
        assertThat(acknowledged).isNotEmpty();
        assertThat(lost).as("acknowledged writes lost").isEmpty();
      }
    }
  }

  private static Optional<RunView.Step> runningCutoverStep(RunView run) {
    if (run == null || run.steps() == null) {
      return Optional.empty();
    }
    return run.steps().stream()
        .filter(s -> CUTOVER_STEPS.contains(s.jobType()) && "started".equals(s.state()))
        .findFirst();
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

  private static Map<Long, String> itemNames(Deployment platform) throws Exception {
    Map<Long, String> names = new TreeMap<>();
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, name FROM items")) {
      while (rs.next()) {
        names.put(rs.getLong(1), rs.getString(2));
      }
    }
    return names;
  }
}
