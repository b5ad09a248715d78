package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.Container;
import io.upshift.approval.ApprovalTask;
import io.upshift.compose.DockerClients;
import io.upshift.platform.ReleaseRepository;
import io.upshift.storage.FileTrees;
import io.upshift.support.ApiWriter;
import io.upshift.support.Approvals;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Guided failure on the real engine, Docker, PostgreSQL and git: the demo platform's backup fails
 * before the point of no return for a cause a person can remove (the backup directory is blocked by
 * a file, as a full or read-only disk would). The run does not stop at an incident: it waits at
 * "Decide on the failed step". Retry after removing the cause completes the upgrade; abort, and a
 * decision that never comes (the timeout takes the safe choice), leave the platform untouched. The
 * API writer writes to the platform the whole time; every acknowledged write must be there.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/guided",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:guided-failure-it;DB_CLOSE_DELAY=-1",
      // Seconds, not hours: the timeout test relies on it; the others set a long one per run.
      "upshift.run.failure-decision-timeout=PT8S",
      TestUsers.PROFILE
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuidedFailureIT {

  /** Upgraded after a retry. */
  static final String RETRIED = "guidedretry";

  /** Aborted, then left to the timeout: must stay exactly as it was. */
  static final String UNTOUCHED = "guidedabort";

  static final Path DATA = Path.of("target/it-data/guided");
  static final Duration LONG_DECISION = Duration.ofMinutes(10);

  static final Map<String, Deployment> deployments = new TreeMap<>();
  static ReleaseRepository releases;

  @Autowired TestRestTemplate rest;
  @Autowired JdbcClient jdbc;
  @LocalServerPort int port;

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    FileTrees.deleteRecursively(DATA);
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-guided-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    for (String name : List.of(RETRIED, UNTOUCHED)) {
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

  /**
   * (1) The backup fails three times (retries used), the run waits for a decision that names the
   * step and its error; a choice the task does not offer is refused with 400; after the cause is
   * removed, retry runs the backup again and the upgrade completes with every write kept.
   */
  @Test
  @Order(1)
  void aStepRetriedAfterItsCauseIsRemovedLetsTheRunComplete() throws Exception {
    Deployment platform = deployments.get(RETRIED);
    Path blocker = blockBackups(RETRIED);
    try (ApiWriter writer = writer(platform, RETRIED)) {
      String runId = start(RETRIED, Map.of("failureDecisionTimeout", LONG_DECISION.toString()));
      ApprovalTask decision = awaitDecision(runId);

      assertThat(decision.elementId()).isEqualTo("DecideFailedStep");
      assertThat(decision.name()).isEqualTo("Decide on the failed step");
      assertThat(decision.evidence().path("failedStep").path("elementId").asText())
          .isEqualTo("BackUpPlatform");
      assertThat(decision.evidence().path("failedStep").path("message").asText())
          .contains(blocker.getFileName().toString());
      assertThat(choices(decision)).containsExactly("retry", "abort");
      assertThat(decision.dueDate()).isNotNull();
      RunView waiting = run(runId);
      assertThat(waiting.state()).isEqualTo("active");
      assertThat(waiting.incident()).as("no raw incident").isNull();
      assertThat(waiting.waitingFor())
          .contains("failure decision")
          .contains("BackUpPlatform")
          .contains("retry, abort");
      assertThat(waiting.steps())
          .filteredOn(s -> s.elementId().equals("BackUpPlatform"))
          .extracting(RunView.Step::state)
          .containsExactly("failed", "failed", "failed");

      // Not offered here: refused, naming the field and what is allowed.
      for (String wrong : List.of("rollback", "approve", "skip")) {
        ResponseEntity<Map> refused =
            TestUsers.as(rest, TestUsers.APPROVER)
                .postForEntity(
                    "/api/approvals/" + decision.id() + "/decision",
                    Map.of("decision", wrong),
                    Map.class);
        assertThat(refused.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
        assertThat(String.valueOf(refused.getBody()))
            .contains("decision")
            .contains("'" + wrong + "' is not allowed here: one of retry, abort");
      }

      Files.delete(blocker);
      Approvals.decide(rest, decision, "retry", "freed the backup directory");

      ApprovalTask approval = awaitTask(runId, "ApproveMaintenanceWindow");
      Approvals.decide(rest, approval, "approve", "window now");
      ApprovalTask signOff = awaitTask(runId, "SignOffUpgrade");
      Approvals.decide(rest, signOff, "approve", "looks good");
      RunView run = awaitEnd(runId);
      writer.close();

      assertThat(run.state()).as(run.outcomeMessage()).isEqualTo("completed");
      assertThat(run.waitingFor()).isNull();
      assertThat(run.steps())
          .filteredOn(s -> s.elementId().equals("BackUpPlatform"))
          .extracting(RunView.Step::state)
          .containsExactly("failed", "failed", "failed", "completed");
      assertThat(versions(platform)).containsExactly("1.1.0");
      assertThat(rowsWithBackups(runId)).as("one backup of the run").isEqualTo(1);
      ApprovalTask decided = task(decision.id());
      assertThat(decided.state()).isEqualTo("retry");
      assertThat(decided.decidedBy()).isEqualTo(TestUsers.APPROVER);
      assertThat(decided.audit())
          .extracting(ApprovalTask.AuditEntry::decision)
          .containsExactly("retry");
      assertAllWritesKept(platform, writer);
    } finally {
      // After the retry the path is the platform's real backup directory: keep that.
      if (Files.isRegularFile(blocker)) {
        Files.delete(blocker);
      }
    }
  }

  /**
   * (2) Abort: the run ends failed with nothing changed: the same containers (ids and start times),
   * the same release files, no version recorded, no scratch container, every write kept.
   */
  @Test
  @Order(2)
  void abortLeavesThePlatformUntouched() throws Exception {
    Deployment platform = deployments.get(UNTOUCHED);
    Snapshot before = Snapshot.of(platform);
    Path blocker = blockBackups(UNTOUCHED);
    try (ApiWriter writer = writer(platform, UNTOUCHED)) {
      String runId = start(UNTOUCHED, Map.of("failureDecisionTimeout", LONG_DECISION.toString()));
      ApprovalTask decision = awaitDecision(runId);

      // The console's inbox shows the failed step, its error and one button per allowed choice;
      // the run page says what the run waits for. The abort goes through the console's form.
      HttpClient approver = signIn(TestUsers.APPROVER);
      String inbox = get(approver, "/inbox").body();
      assertThat(inbox)
          .contains("id=\"task-" + decision.id() + "\"")
          .contains("Decide on the failed step")
          .contains("<code>BackUpPlatform</code>")
          .contains("class=\"failed-step-message\"")
          .contains("value=\"retry\"")
          .contains("value=\"abort\"")
          .doesNotContain("value=\"rollback\"")
          .doesNotContain("value=\"skip\"");
      assertThat(get(approver, "/runs/" + runId).body())
          .contains("id=\"run-waiting\"")
          .contains("failure decision");
      HttpResponse<String> aborted =
          post(
              approver,
              "/inbox/" + decision.id() + "/decision",
              "decision=abort&comment=not+today&_csrf=" + csrf(inbox));
      assertThat(aborted.statusCode()).isEqualTo(302);
      RunView run = awaitEnd(runId);
      writer.close();

      assertThat(run.state()).isEqualTo("failed");
      assertThat(run.currentElement()).isEqualTo("AbortedNothingChanged");
      assertThat(run.outcomeMessage())
          .startsWith("Aborted by approver after step BackUpPlatform failed:")
          .endsWith("nothing on the platform was changed");
      assertThat(task(decision.id()).state()).isEqualTo("abort");
      assertUntouched(platform, before, runId, writer);
    }
    // The lock is released: the next test starts a run on this platform.
    assertThat(Files.exists(blocker)).isTrue();
  }

  /**
   * (3) Nobody decides: after upshift.run.failure-decision-timeout (8 s here) the model takes the
   * safe choice, abort; the task closes as expired with an audit row, the platform is untouched.
   */
  @Test
  @Order(3)
  void withoutADecisionTheTimeoutAbortsSafely() throws Exception {
    Deployment platform = deployments.get(UNTOUCHED);
    Snapshot before = Snapshot.of(platform);
    Path blocker = blockBackups(UNTOUCHED);
    try (ApiWriter writer = writer(platform, UNTOUCHED)) {
      String runId = start(UNTOUCHED, Map.of());
      ApprovalTask decision = awaitDecision(runId);
      RunView run = awaitEnd(runId);
      writer.close();

      assertThat(run.state()).isEqualTo("failed");
      assertThat(run.currentElement()).isEqualTo("AbortedNothingChanged");
      assertThat(run.outcomeMessage())
          .startsWith("No decision in time on the failed step, so the safe choice was taken")
          .contains("BackUpPlatform failed");
      ApprovalTask expired = task(decision.id());
      assertThat(expired.state()).isEqualTo("expired");
      assertThat(expired.audit())
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.decision()).isEqualTo("expired");
                assertThat(a.decidedBy()).isEqualTo("upshift");
                assertThat(a.comment()).contains("safe choice: abort");
              });
      assertThat(
              jdbc.sql("SELECT count(*) FROM audit_event WHERE action = 'approval.expired'")
                  .query(Long.class)
                  .single())
          .isEqualTo(1);
      assertUntouched(platform, before, runId, writer);
    } finally {
      Files.deleteIfExists(blocker);
    }
  }

  private HttpClient signIn(String user) throws Exception {
    HttpClient http =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .cookieHandler(new java.net.CookieManager())
            .build();
    String token = csrf(get(http, "/login").body());
    HttpResponse<String> response =
        post(
            http,
            "/login",
            "username=" + user + "&password=" + TestUsers.password(user) + "&_csrf=" + token);
    assertThat(response.statusCode()).isEqualTo(302);
    assertThat(response.headers().firstValue("Location").orElseThrow()).doesNotContain("error");
    return http;
  }

  private static String csrf(String html) {
    Matcher matcher = CSRF.matcher(html);
    assertThat(matcher.find()).as("a CSRF token in the page").isTrue();
    return matcher.group(1);
  }

  private HttpResponse<String> get(HttpClient http, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(HttpClient http, String path, String form) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The cause a person can remove: a file where the platform's backup directory must go. */
  private static Path blockBackups(String platform) throws Exception {
    Path blocker = DATA.resolve("backups").resolve(platform);
    Files.createDirectories(blocker.getParent());
    if (!Files.exists(blocker)) {
      Files.writeString(blocker, "blocks the backup directory, like a full disk would\n");
    }
    return blocker;
  }

  private String start(String platform, Map<String, Object> extra) {
    Map<String, Object> variables =
        new HashMap<>(Map.of("platform", platform, "targetVersion", "1.1.0"));
    variables.putAll(extra);
    ResponseEntity<RunView> started =
        TestUsers.as(rest, TestUsers.OPERATOR)
            .postForEntity(
                "/api/runs",
                Map.of("runbook", "platform-upgrade", "variables", variables),
                RunView.class);
    assertThat(started.getStatusCode())
        .as(String.valueOf(started.getBody()))
        .isEqualTo(HttpStatus.CREATED);
    return started.getBody().id();
  }

  private ApprovalTask awaitDecision(String runId) {
    return awaitTask(runId, "DecideFailedStep");
  }

  private ApprovalTask awaitTask(String runId, String elementId) {
    return await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofMillis(500))
        .until(
            () ->
                Approvals.waiting(rest, runId).stream()
                    .filter(t -> t.elementId().equals(elementId))
                    .findFirst(),
            java.util.Optional::isPresent)
        .orElseThrow();
  }

  private RunView awaitEnd(String runId) {
    return await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> run(runId), run -> !run.state().equals("active"));
  }

  private RunView run(String runId) {
    return TestUsers.as(rest, TestUsers.VIEWER).getForObject("/api/runs/" + runId, RunView.class);
  }

  private ApprovalTask task(long id) {
    return TestUsers.as(rest, TestUsers.VIEWER)
        .getForObject("/api/approvals/" + id, ApprovalTask.class);
  }

  private static List<String> choices(ApprovalTask task) {
    List<String> choices = new ArrayList<>();
    task.evidence().path("choices").forEach(c -> choices.add(c.asText()));
    return choices;
  }

  private long rowsWithBackups(String runId) {
    return jdbc.sql("SELECT count(*) FROM backup WHERE id = ?")
        .param("run-" + runId)
        .query(Long.class)
        .single();
  }

  /** What "untouched" compares: containers, release files, recorded versions, table counts. */
  record Snapshot(
      Map<String, String> containers, Map<String, String> files, Map<String, Long> rowCounts) {

    static Snapshot of(Deployment platform) throws Exception {
      Map<String, String> containers = new TreeMap<>();
      for (Container c : projectContainers(platform)) {
        var inspected = DockerClients.local().inspectContainerCmd(c.getId()).exec();
        containers.put(
            c.getLabels().get("com.docker.compose.service"),
            c.getId() + " started " + inspected.getState().getStartedAt());
      }
      Map<String, String> files = new TreeMap<>();
      try (Stream<Path> walk = Files.walk(platform.directory)) {
        for (Path file : walk.filter(Files::isRegularFile).toList()) {
          files.put(
              platform.directory.relativize(file).toString(),
              HexFormat.of()
                  .formatHex(
                      MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
        }
      }
      return new Snapshot(containers, files, platform.rowCounts());
    }
  }

  private void assertUntouched(Deployment platform, Snapshot before, String runId, ApiWriter writer)
      throws Exception {
    Snapshot after = Snapshot.of(platform);
    assertThat(after.containers())
        .as("same containers, never restarted")
        .isEqualTo(before.containers());
    assertThat(after.files()).as("same release files and configuration").isEqualTo(before.files());
    Map<String, Long> counts = new TreeMap<>(after.rowCounts());
    Map<String, Long> expected = new TreeMap<>(before.rowCounts());
    // Only the writer's rows are new; every other table holds what it held.
    counts.remove("items");
    expected.remove("items");
    assertThat(counts).isEqualTo(expected);
    assertThat(after.rowCounts().get("items"))
        .isEqualTo(before.rowCounts().get("items") + writer.acknowledged().size());
    assertThat(versions(platform)).as("no version recorded").isEmpty();
    assertThat(
            DockerClients.local()
                .listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of("io.upshift.rehearsal", runId))
                .exec())
        .as("no scratch container left")
        .isEmpty();
    assertThat(
            jdbc.sql("SELECT count(*) FROM platform_lock WHERE run_id = ?")
                .param(runId)
                .query(Long.class)
                .single())
        .as("platform lock released")
        .isZero();
    assertAllWritesKept(platform, writer);
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
  }

  private static List<Container> projectContainers(Deployment platform) {
    return DockerClients.local()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(Map.of("com.docker.compose.project", platform.project))
        .exec();
  }

  private static ApiWriter writer(Deployment platform, String name) {
    return new ApiWriter(
        platform.env().substitute("http://127.0.0.1:${BACKEND_PORT}/api/items"), "w-" + name);
  }

  /** Every write the platform acknowledged is in its database, under the name it was given. */
  private static void assertAllWritesKept(Deployment platform, ApiWriter writer) throws Exception {
    Map<Long, String> live = new HashMap<>();
    try (Connection c = platform.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id, name FROM items WHERE name LIKE 'w-%'")) {
      while (rs.next()) {
        live.put(rs.getLong(1), rs.getString(2));
      }
    }
    assertThat(writer.acknowledged()).as("acknowledged writes").isNotEmpty();
    Set<Long> lost = new HashSet<>();
    writer
        .acknowledged()
        .forEach(
            (id, name) -> {
              if (!name.equals(live.get(id))) {
                lost.add(id);
              }
            });
    assertThat(lost).as("acknowledged writes missing from the platform").isEmpty();
  }

  private static List<String> versions(Deployment platform) throws Exception {
    List<String> versions = new ArrayList<>();
    try (Connection c = platform.connect();
        Statement s = c.createStatement();
        ResultSet exists =
            s.executeQuery("SELECT to_regclass('public.upshift_platform_version') IS NOT NULL")) {
      exists.next();
      if (!exists.getBoolean(1)) {
        return versions;
      }
    }
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
