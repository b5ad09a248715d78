package io.upshift.run;

import static io.upshift.support.TestUsers.OPERATOR;
import static io.upshift.support.TestUsers.VIEWER;
import static io.upshift.support.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.approval.ApprovalTask;
import io.upshift.platform.ReleaseRepository;
import io.upshift.support.ApiWriter;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.PlatformLocks;
import io.upshift.support.UpshiftProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

/**
 * Upshift in a process of its own, killed with {@code kill -9} in the middle of an upgrade of the
 * demo platform (embedded engine, Docker, PostgreSQL, git), then started again on the same data
 * directory. After each restart the run is {@code interrupted}; an operator's resume takes it to
 * {@code completed}, or a roll back takes the platform back, with no side effect done twice: one
 * backup per kind, each migration applied once, one version row, one audit row per decision. A
 * writer posts to the platform's API the whole time; every acknowledged write is present, or listed
 * by the rollback and kept in the failed state.
 *
 * <p>Each kill point has its own deployment of the platform; the images and the release repository
 * are shared. A step is caught in the act by holding a PostgreSQL lock it needs (a migration's
 * {@code ALTER TABLE}, the backup's {@code pg_dump}) or by its own duration (the start waits for
 * health).
 */
class ResumeAfterKillIT {

  static final List<String> PLATFORMS =
      List.of("kapproval", "kbackup", "kmigration", "krollback", "kstart");

  static final Map<String, Deployment> deployments = new TreeMap<>();
  static final List<String> table = new ArrayList<>();
  static ReleaseRepository releases;
  static UpshiftProcess upshift;
  static Path bare;

  @BeforeAll
  static void setUp() throws Exception {
    bare = DemoPlatform.repository();
    Path scratch =
        Files.createTempDirectory(Path.of("target"), "resume-after-kill").toAbsolutePath();
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    Map<String, String> properties = new LinkedHashMap<>();
    for (String name : PLATFORMS) {
      Deployment platform =
          new Deployment(releases, name, scratch.resolve("platforms").resolve(name))
              .checkout("1.0.0");
      deployments.put(name, platform);
      String prefix = "upshift.platforms." + name + ".";
      properties.put(prefix + "repository", bare.toUri().toString());
      properties.put(prefix + "working-directory", platform.directory.toString());
      properties.put(prefix + "compose-project", platform.project);
    }
    upshift = new UpshiftProcess(scratch.resolve("upshift"), properties).start();
  }

  @AfterAll
  static void tearDown() throws Exception {
    System.out.println("KILL-TABLE | kill point | end state | side effects");
    table.forEach(System.out::println);
    if (upshift != null) {
      upshift.close();
    }
    deployments.values().forEach(Deployment::close);
    if (releases != null) {
      releases.close();
    }
  }

  /** Killed while the run waits for its approval: resumed, asked again, approved, completed. */
  @Test
  void killedWhileWaitingForTheApproval() throws Exception {
    Deployment platform = up("kapproval");
    try (ApiWriter writer = writer(platform)) {
      String runId = start("kapproval");
      ApprovalTask first = Approvals.awaitTask(operator(), runId);
      restartHard();

      RunView interrupted = run(runId);
      assertThat(interrupted.state()).isEqualTo("interrupted");
      assertThat(interrupted.outcomeMessage())
          .contains("Last completed step: RehearseRestore", "resume it");
      assertThat(interrupted.steps())
          .filteredOn(s -> s.state().equals("completed"))
          .extracting(RunView.Step::elementId)
          .contains("PlanUpgrade", "PreflightCheck", "BackUpPlatform", "RehearseRestore");
      assertThat(Approvals.waiting(operator(), runId)).isEmpty();

      // Only an operator decides; a viewer is refused, and there is nothing to roll back yet.
      assertThat(post(VIEWER, runId, "resume", "no").getStatusCode())
          .isEqualTo(HttpStatus.FORBIDDEN);
      ResponseEntity<Map> rollback = post(OPERATOR, runId, "rollback", "nothing changed yet");
      assertThat(rollback.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
      assertThat(rollback.getBody().get("detail").toString()).contains("nothing to undo");

      RunView resumed = resume(runId);
      assertThat(resumed.outcomeMessage()).contains("ApproveMaintenanceWindow");
      ApprovalTask second = Approvals.awaitTask(operator(), runId);
      assertThat(second.id()).isNotEqualTo(first.id());
      RunView done = approveAndFinish(runId, second);
      writer.close();

      assertThat(done.state()).as(done.outcomeMessage()).isEqualTo("completed");
      Counts counts = counts(platform, runId, writer);
      assertCompleted(runId, counts);
      assertThat(counts.audit()).containsEntry("run.resume", 1L).doesNotContainKey("run.rollback");
      record("waiting at the approval", "resume", done, counts);
    }
  }

  /**
   * Killed while the backup runs (its pg_dump waits for a lock the test holds on a table of its
   * own, which nothing else of the run touches): resumed at the backup, which takes it again from
   * the start (the partial directory of the killed one goes, one catalog row, one directory); then
   * approved and completed.
   */
  @Test
  void killedDuringTheBackup() throws Exception {
    Deployment platform = up("kbackup");
    try (Connection c = platform.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS kill_hold (id INT)");
    }
    try (ApiWriter writer = writer(platform)) {
      String runId;
      try (Connection lock = PlatformLocks.holdExclusively(platform, "kill_hold")) {
        runId = start("kbackup");
        awaitStepWaitingOnLock(platform, runId, "upshift.backup.database");
        restartHard();
      }
      PlatformLocks.awaitNoLockWaits(platform);

      RunView interrupted = run(runId);
      assertThat(interrupted.state()).isEqualTo("interrupted");
      assertThat(interrupted.outcomeMessage())
          .contains(
              "Last completed step: PreflightCheck",
              "in progress when Upshift stopped: BackUpPlatform");
      assertThat(counts(platform, runId, writer).backups()).isEmpty();

      RunView resumed = resume(runId);
      assertThat(resumed.outcomeMessage()).contains("BackUpPlatform");
      RunView done = approveAndFinish(runId, Approvals.awaitTask(operator(), runId));
      writer.close();

      assertThat(done.state()).as(done.outcomeMessage()).isEqualTo("completed");
      Counts counts = counts(platform, runId, writer);
      assertCompleted(runId, counts);
      assertThat(counts.audit()).containsEntry("run.resume", 1L).doesNotContainKey("run.rollback");
      record("during the backup", "resume", done, counts);
    }
  }

  /**
   * Killed while the migration runs (held at its ALTER TABLE by a lock the test keeps): resumed,
   * the hop runs again from its first step, V3 is applied once, the run completes.
   */
  @Test
  void killedDuringTheMigration() throws Exception {
    Deployment platform = up("kmigration");
    try (ApiWriter writer = writer(platform)) {
      String runId = start("kmigration");
      try (Connection lock = PlatformLocks.holdItems(platform)) {
        approve(runId);
        awaitStepWaitingOnLock(platform, runId, "upshift.migration.apply");
        restartHard();
      }
      PlatformLocks.awaitNoLockWaits(platform);

      RunView interrupted = run(runId);
      assertThat(interrupted.state()).isEqualTo("interrupted");
      assertThat(interrupted.outcomeMessage())
          .contains("in progress when Upshift stopped: ApplyMigrations");
      assertThat(appliedMigrations(platform)).doesNotContainKey("3");

      RunView resumed = resume(runId);
      assertThat(resumed.outcomeMessage()).contains("Cutover", "hop 1.1.0", "ApplyMigrations");
      RunView done = finish(runId);
      writer.close();

      Counts counts = counts(platform, runId, writer);
      assertCompletedOrRolledBackAtTheStart(runId, done, counts);
      record("during the migration", "resume", done, counts);
    }
  }

  /**
   * Killed during the migration, rolled back by the operator, killed again while the rollback
   * starts the previous release, resumed: the platform is back at 1.0.0, V3 is not there, no
   * version was recorded, and every acknowledged write is present or listed.
   */
  @Test
  void killedDuringTheMigrationRolledBackAndKilledDuringTheRollback() throws Exception {
    Deployment platform = up("krollback");
    try (ApiWriter writer = writer(platform)) {
      String runId = start("krollback");
      try (Connection lock = PlatformLocks.holdItems(platform)) {
        approve(runId);
        awaitStepWaitingOnLock(platform, runId, "upshift.migration.apply");
        restartHard();
      }
      PlatformLocks.awaitNoLockWaits(platform);
      assertThat(run(runId).state()).isEqualTo("interrupted");

      RunView rolling = post(OPERATOR, runId, "rollback", "window over", RunView.class);
      assertThat(rolling.state()).isEqualTo("active");
      awaitStep(runId, "upshift.rollback.start", s -> true);
      restartHard();

      RunView interrupted = run(runId);
      assertThat(interrupted.state()).isEqualTo("interrupted");
      assertThat(interrupted.outcomeMessage())
          .contains("in progress when Upshift stopped: StartPreviousRelease");
      RunView resumed = resume(runId);
      assertThat(resumed.outcomeMessage()).contains("StartPreviousRelease");
      RunView done = finish(runId);
      writer.close();

      assertThat(done.state()).as(done.outcomeMessage()).isEqualTo("rolled-back");
      assertThat(done.outcomeMessage()).contains("interrupted by a restart", "window over");
      Counts counts = counts(platform, runId, writer);
      assertThat(counts.lostWrites()).as("acknowledged writes lost").isEmpty();
      assertThat(counts.duplicatedMigrations()).isEmpty();
      assertThat(counts.migrations()).doesNotContainKey("3");
      assertThat(counts.versionRows()).isZero();
      assertThat(counts.audit()).containsEntry("run.rollback", 1L).containsEntry("run.resume", 1L);
      assertThat(counts.decisionsPerTask()).allSatisfy((task, n) -> assertThat(n).isEqualTo(1));
      platform.checkout("1.0.0");
      assertThat(platform.awaitHealthy(platform.allServices(), Duration.ofSeconds(60)))
          .allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
      assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
      record("during the migration, then during the rollback", "rollback, resume", done, counts);
    }
  }

  /** Killed while the new release starts and is waited on to turn healthy: resumed, completed. */
  @Test
  void killedDuringTheStart() throws Exception {
    Deployment platform = up("kstart");
    try (ApiWriter writer = writer(platform)) {
      String runId = start("kstart");
      approve(runId);
      awaitStep(runId, "upshift.compose.up", s -> true);
      restartHard();

      RunView interrupted = run(runId);
      assertThat(interrupted.state()).isEqualTo("interrupted");
      assertThat(interrupted.outcomeMessage())
          .contains("in progress when Upshift stopped: StartPlatform");
      resume(runId);
      RunView done = finish(runId);
      writer.close();

      Counts counts = counts(platform, runId, writer);
      assertCompletedOrRolledBackAtTheStart(runId, done, counts);
      record("during the start", "resume", done, counts);
    }
  }

  // --- the run, through the API of the process ---

  private static Deployment up(String name) throws Exception {
    Deployment platform = deployments.get(name);
    freshPorts(platform);
    assertThat(platform.bringUp()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    return platform;
  }

  /**
   * Picks the platform's published ports now rather than in {@link #setUp}: minutes of earlier kill
   * points later, one of those picked there was taken (the writers' client sockets use the same
   * range) and compose up failed with "address already in use".
   */
  private static void freshPorts(Deployment platform) throws Exception {
    Path envFile = platform.directory.resolve(".env");
    String text = Files.readString(envFile);
    text = text.replaceAll("(?m)^DB_PORT=.*$", "DB_PORT=" + io.upshift.support.FreePorts.next());
    text =
        text.replaceAll(
            "(?m)^BACKEND_PORT=.*$", "BACKEND_PORT=" + io.upshift.support.FreePorts.next());
    Files.writeString(envFile, text);
    platform.checkout("1.0.0");
  }

  private static TestRestTemplate operator() {
    return as(upshift.rest(), OPERATOR);
  }

  private static String start(String platform) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("platform", platform);
    variables.put("targetVersion", "1.1.0");
    ResponseEntity<RunView> started =
        operator()
            .postForEntity(
                "/api/runs",
                Map.of("runbook", "platform-upgrade", "variables", variables),
                RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    return started.getBody().id();
  }

  private static RunView run(String runId) {
    return as(upshift.rest(), VIEWER).getForObject("/api/runs/" + runId, RunView.class);
  }

  private static void approve(String runId) {
    Approvals.decide(operator(), Approvals.awaitTask(operator(), runId), "approve", "window now");
  }

  private static RunView resume(String runId) {
    RunView resumed = post(OPERATOR, runId, "resume", "checked the platform", RunView.class);
    assertThat(resumed.state()).isEqualTo("active");
    return resumed;
  }

  private static ResponseEntity<Map> post(String user, String runId, String action, String why) {
    return as(upshift.rest(), user)
        .postForEntity("/api/runs/" + runId + "/" + action, Map.of("reason", why), Map.class);
  }

  private static <T> T post(String user, String runId, String action, String why, Class<T> type) {
    ResponseEntity<T> answer =
        as(upshift.rest(), user)
            .postForEntity("/api/runs/" + runId + "/" + action, Map.of("reason", why), type);
    assertThat(answer.getStatusCode())
        .as(String.valueOf(answer.getBody()))
        .isEqualTo(HttpStatus.OK);
    return answer.getBody();
  }

  /** Approves the given task, then decides every later task until the run ends. */
  private static RunView approveAndFinish(String runId, ApprovalTask approval) {
    Approvals.decide(operator(), approval, "approve", "window now");
    return finish(runId);
  }

  /** Decides each task the run waits for (sign-off approved, rollback review keeps the state). */
  private static RunView finish(String runId) {
    Set<Long> decided = new java.util.HashSet<>();
    return await()
        .atMost(Duration.ofMinutes(8))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () -> {
              for (ApprovalTask task : Approvals.waiting(operator(), runId)) {
                if (decided.add(task.id())) {
                  Approvals.decide(
                      operator(),
                      task,
                      task.name().equals("Review rollback") ? "reject" : "approve",
                      "checked");
                }
              }
              return run(runId);
            },
            r -> !r.state().equals("active"));
  }

  private static RunView.Step awaitStep(String runId, String jobType, Predicate<RunView.Step> how) {
    return await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                run(runId).steps().stream()
                    .filter(s -> s.jobType().equals(jobType) && s.state().equals("started"))
                    .filter(how)
                    .findFirst()
                    .orElse(null),
            java.util.Objects::nonNull);
  }

  /** The step started and its statement waits for a lock the test holds: it is in the act. */
  private static void awaitStepWaitingOnLock(Deployment platform, String runId, String jobType) {
    awaitStep(runId, jobType, s -> true);
    PlatformLocks.awaitLockWait(platform);
  }

  private static void restartHard() throws Exception {
    upshift.kill9();
    upshift.start();
  }

  // --- the platform ---

  private static ApiWriter writer(Deployment platform) {
    return new ApiWriter(
        platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"),
        "w-" + platform.project.substring(platform.project.lastIndexOf('-') + 1));
  }

  private static Map<String, Long> appliedMigrations(Deployment platform) throws SQLException {
    Map<String, Long> applied = new TreeMap<>();
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT version, count(*) FROM flyway_schema_history WHERE success"
                    + " AND version IS NOT NULL GROUP BY version")) {
      while (rs.next()) {
        applied.put(rs.getString(1), rs.getLong(2));
      }
    }
    return applied;
  }

  // --- side effects ---

  /**
   * What the run did, counted where it lands.
   *
   * @param backups the run's rows in Upshift's backup catalog, by id
   * @param backupDirectories the run's backup directories on disk (no partial ones)
   * @param migrations applied migrations of the platform, by version: how often
   * @param versionRows rows of 1.1.0 in the platform's version table
   * @param audit audit events of the run, by action
   * @param decisionsPerTask people's decisions (approve or reject) per approval task
   * @param acknowledged writes the platform acknowledged
   * @param lostWrites acknowledged writes neither present nor listed by the rollback
   */
  record Counts(
      List<String> backups,
      List<String> backupDirectories,
      Map<String, Long> migrations,
      long versionRows,
      Map<String, Long> audit,
      Map<Long, Long> decisionsPerTask,
      int acknowledged,
      List<Long> lostWrites) {

    List<String> duplicatedMigrations() {
      return migrations.entrySet().stream()
          .filter(e -> e.getValue() != 1)
          .map(Map.Entry::getKey)
          .toList();
    }
  }

  /**
   * A resumed hop ends like any hop: completed, or, when the new release does not turn healthy in
   * time (the demo's health probe fails on a machine overloaded by parallel builds), rolled back by
   * the model. Either way nothing is done twice and no acknowledged write is lost.
   */
  private static void assertCompletedOrRolledBackAtTheStart(
      String runId, RunView done, Counts counts) {
    if (done.state().equals("rolled-back")) {
      assertThat(done.outcomeMessage()).contains("StartPlatform: Services not healthy");
      assertThat(counts.backups()).isSubsetOf("run-" + runId, "run-" + runId + "-stop-1.1.0");
      assertThat(counts.backupDirectories()).containsExactlyInAnyOrderElementsOf(counts.backups());
      assertThat(counts.duplicatedMigrations()).as("migrations applied more than once").isEmpty();
      assertThat(counts.migrations()).doesNotContainKey("3");
      assertThat(counts.versionRows()).isZero();
      assertThat(counts.decisionsPerTask()).allSatisfy((task, n) -> assertThat(n).isEqualTo(1));
      assertThat(counts.lostWrites()).as("acknowledged writes lost").isEmpty();
      return;
    }
    assertThat(done.state()).as(done.outcomeMessage()).isEqualTo("completed");
    assertCompleted(runId, counts);
  }

  private static void assertCompleted(String runId, Counts counts) {
    // One backup before the approval and at most one restore point at the hop's stop.
    assertThat(counts.backups()).contains("run-" + runId);
    assertThat(counts.backups()).isSubsetOf("run-" + runId, "run-" + runId + "-stop-1.1.0");
    assertThat(counts.backupDirectories()).containsExactlyInAnyOrderElementsOf(counts.backups());
    assertThat(counts.duplicatedMigrations()).as("migrations applied more than once").isEmpty();
    assertThat(counts.migrations()).containsEntry("3", 1L);
    assertThat(counts.versionRows()).isEqualTo(1);
    assertThat(counts.audit()).containsEntry("run.start", 1L);
    assertThat(counts.decisionsPerTask()).allSatisfy((task, n) -> assertThat(n).isEqualTo(1));
    assertThat(counts.lostWrites()).as("acknowledged writes lost").isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static Counts counts(Deployment platform, String runId, ApiWriter writer)
      throws Exception {
    List<String> backups = new ArrayList<>();
    Map<String, Long> audit = new TreeMap<>();
    Map<Long, Long> decisions = new TreeMap<>();
    try (Connection c = upshift.database()) {
      try (var ps = c.prepareStatement("SELECT id FROM backup WHERE run_id = ? ORDER BY id")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            backups.add(rs.getString(1));
          }
        }
      }
      try (var ps =
          c.prepareStatement(
              "SELECT action, count(*) FROM audit_event WHERE target = ? GROUP BY action")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            audit.put(rs.getString(1), rs.getLong(2));
          }
        }
      }
      try (var ps =
          c.prepareStatement(
              "SELECT task_id, count(*) FROM approval_audit WHERE run_id = ?"
                  + " AND decision IN ('approved', 'rejected') GROUP BY task_id")) {
        ps.setString(1, runId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            decisions.put(rs.getLong(1), rs.getLong(2));
          }
        }
      }
    }
    Path backupRoot = upshift.dataDirectory().resolve("backups").resolve(name(platform));
    List<String> directories = new ArrayList<>();
    if (Files.isDirectory(backupRoot)) {
      try (var dirs = Files.list(backupRoot)) {
        dirs.map(d -> d.getFileName().toString())
            .filter(n -> n.startsWith("run-" + runId))
            .forEach(directories::add);
      }
    }
    long versionRows;
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM information_schema.tables"
                    + " WHERE table_name = 'upshift_platform_version'")) {
      rs.next();
      versionRows = 0;
      if (rs.getLong(1) > 0) {
        try (ResultSet v =
            s.executeQuery(
                "SELECT count(*) FROM upshift_platform_version WHERE version = '1.1.0'")) {
          v.next();
          versionRows = v.getLong(1);
        }
      }
    }
    // Acknowledged writes: in the live database, or listed by the rollback and kept aside.
    Map<Long, String> acknowledged = writer.acknowledged();
    Map<Long, String> live = itemNames(platform.connect());
    Path keysFile =
        upshift.dataDirectory().resolve("runs").resolve(runId).resolve("discarded-keys-1.1.0.json");
    List<String> listed =
        Files.exists(keysFile)
            ? (List<String>)
                new com.fasterxml.jackson.databind.ObjectMapper()
                    .readValue(keysFile.toFile(), Map.class)
                    .getOrDefault("items", List.of())
            : List.of();
    List<Long> lost = new ArrayList<>();
    for (Map.Entry<Long, String> write : acknowledged.entrySet()) {
      boolean present = write.getValue().equals(live.get(write.getKey()));
      if (!present && !listed.contains(String.valueOf(write.getKey()))) {
        lost.add(write.getKey());
      }
    }
    return new Counts(
        backups,
        directories,
        appliedMigrations(platform),
        versionRows,
        audit,
        decisions,
        acknowledged.size(),
        lost);
  }

  private static String name(Deployment platform) {
    return deployments.entrySet().stream()
        .filter(e -> e.getValue() == platform)
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow();
  }

  private static Map<Long, String> itemNames(Connection connection) throws SQLException {
    Map<Long, String> names = new HashMap<>();
    try (Connection c = connection;
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, name FROM items WHERE name LIKE 'w-%'")) {
      while (rs.next()) {
        names.put(rs.getLong(1), rs.getString(2));
      }
    }
    return names;
  }

  private static void record(String killPoint, String choice, RunView run, Counts c) {
    String line =
        String.format(
            "KILL-TABLE | %s | %s -> %s at %s | backups %d %s | migrations %s | version rows %d |"
                + " audit %s | decisions per task %s | acknowledged writes %d, lost %d",
            killPoint,
            choice,
            run.state(),
            run.currentElement(),
            c.backups().size(),
            c.backups(),
            c.migrations(),
            c.versionRows(),
            c.audit(),
            c.decisionsPerTask().values(),
            c.acknowledged(),
            c.lostWrites().size());
    table.add(line);
    System.out.println(line);
  }
}
