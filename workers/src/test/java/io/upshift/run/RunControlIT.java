package io.upshift.run;

import static io.upshift.support.TestUsers.OPERATOR;
import static io.upshift.support.TestUsers.VIEWER;
import static io.upshift.support.TestUsers.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.command.ClientStatusException;
import io.upshift.support.TestUsers;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Start checks, one run per platform and cancel, on the real service with the embedded engine and
 * its H2 database. The platform {@code lockdemo} is registered with a real git repository (tags
 * 1.0.0 and 1.1.0) so the platform-upgrade start checks read real releases; nothing of it is ever
 * deployed. Runs that hold a platform without Docker are runs of the test runbook approval-demo (it
 * waits at its approval), to which a test validator gives a {@code platform} variable: the same
 * lock as platform-upgrade's.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/run-control",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:run-control-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
class RunControlIT {

  static final String PLATFORM = "lockdemo";

  @Autowired TestRestTemplate rest;
  @Autowired JdbcClient jdbc;
  @Autowired CamundaClient engine;
  @LocalServerPort int port;

  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  @DynamicPropertySource
  static void platform(DynamicPropertyRegistry registry) throws Exception {
    Path root = Files.createTempDirectory("run-control-it");
    Path repository = releases(root.resolve("deployment"), "1.0.0", "1.1.0");
    registry.add(
        "upshift.platforms." + PLATFORM + ".repository", () -> repository.toUri().toString());
    registry.add(
        "upshift.platforms." + PLATFORM + ".working-directory", () -> root.resolve("work"));
    registry.add("upshift.platforms." + PLATFORM + ".compose-project", () -> PLATFORM);
  }

  /** approval-demo runs hold the platform their {@code platform} variable names. */
  @TestConfiguration
  static class ApprovalDemoHoldsAPlatform {
    @Bean
    RunbookInputValidator approvalDemoPlatform() {
      return new RunbookInputValidator() {
        @Override
        public String runbook() {
          return "approval-demo";
        }

        @Override
        public List<FieldError> validate(Map<String, Object> variables) {
          return List.of();
        }

        @Override
        public Optional<String> platform(Map<String, Object> variables) {
          return Optional.ofNullable((String) variables.get("platform"));
        }
      };
    }
  }

  @Test
  void anUnknownTargetIsRefusedListingTheReleasesAndNothingIsCreated() {
    long runs = runCount();

    ResponseEntity<Map> unknown =
        startUpgrade(Map.of("platform", PLATFORM, "targetVersion", "9.9.9"));

    assertThat(unknown.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(unknown.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(errors(unknown))
        .containsExactly(
            Map.of(
                "field",
                "variables.targetVersion",
                "message",
                "'9.9.9' is not a release of lockdemo; releases: 1.0.0, 1.1.0"));

    ResponseEntity<Map> wrongTypes =
        startUpgrade(
            Map.of("platform", 7, "targetVersion", List.of("1.1.0"), "allowSteppingStones", "yes"));
    assertThat(wrongTypes.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(errors(wrongTypes))
        .extracting(e -> e.get("field") + ": " + e.get("message"))
        .containsExactlyInAnyOrder(
            "variables.platform: must be a string naming a registered platform: lockdemo",
            "variables.targetVersion: must be a string; is required: a release version like 1.2.0"
                + " or 1.2.0-label",
            "variables.allowSteppingStones: must be true or false");

    ResponseEntity<Map> unregistered =
        startUpgrade(Map.of("platform", "prod", "targetVersion", "1.1.0"));
    assertThat(errors(unregistered))
        .extracting(e -> e.get("field") + ": " + e.get("message"))
        .containsExactly("variables.platform: must be a registered platform: lockdemo");

    ResponseEntity<Map> noRunbook =
        as(rest, OPERATOR)
            .postForEntity(
                "/api/runs",
                Map.of("runbook", "no-such-runbook", "variables", Map.of()),
                Map.class);
    assertThat(noRunbook.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(errors(noRunbook).get(0).get("field")).isEqualTo("runbook");
    assertThat(errors(noRunbook).get(0).get("message").toString())
        .contains("is not a deployed runbook", "approval-demo", "platform-upgrade");

    assertThat(runCount()).isEqualTo(runs);
    assertThat(holder(PLATFORM)).isEmpty();
  }

  @Test
  void aSecondStartOnAPlatformIsRefusedNamingTheRunThatHoldsIt() {
    RunView first = holdPlatform(PLATFORM);
    long runs = runCount();

    // The real platform-upgrade start, valid in every field, meets the same lock.
    ResponseEntity<Map> upgrade =
        startUpgrade(Map.of("platform", PLATFORM, "targetVersion", "1.1.0"));
    assertThat(upgrade.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(upgrade.getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(upgrade.getBody())
        .containsEntry("title", "Platform busy")
        .containsEntry("runId", first.id())
        .containsEntry("platform", PLATFORM);
    assertThat(upgrade.getBody().get("detail").toString())
        .contains("Platform 'lockdemo' has an active run " + first.id());

    ResponseEntity<Map> again = startHolding(PLATFORM);
    assertThat(again.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(again.getBody()).containsEntry("runId", first.id());
    assertThat(runCount()).as("a refused start creates no run").isEqualTo(runs);

    cancel(first.id(), "test cleanup");
  }

  @Test
  void startsRacingForOnePlatformHaveExactlyOneWinner() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Callable<ResponseEntity<Map>>> starts = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        starts.add(() -> startHolding("racedemo"));
      }
      List<ResponseEntity<Map>> answers = new ArrayList<>();
      for (Future<ResponseEntity<Map>> f : pool.invokeAll(starts)) {
        answers.add(f.get());
      }
      List<ResponseEntity<Map>> won =
          answers.stream().filter(a -> a.getStatusCode() == HttpStatus.CREATED).toList();
      assertThat(won).hasSize(1);
      String winner = won.get(0).getBody().get("id").toString();
      assertThat(answers)
          .filteredOn(a -> a.getStatusCode() != HttpStatus.CREATED)
          .hasSize(5)
          .allSatisfy(
              a -> {
                assertThat(a.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
                assertThat(a.getBody()).containsEntry("runId", winner);
              });
      assertThat(holder("racedemo")).contains(winner);
      cancel(winner, "test cleanup");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void cancelBeforeTheCutoverEndsTheRunReleasesThePlatformAndIsAudited() {
    RunView run = holdPlatform(PLATFORM);
    awaitApprovalTask(run.id());

    ResponseEntity<Map> byViewer = post(VIEWER, run.id(), "cancel", Map.of("reason", "no"));
    assertThat(byViewer.getStatusCode()).isEqualTo(HttpStatus.FORBIDDEN);
    ResponseEntity<Map> noReason = post(OPERATOR, run.id(), "cancel", Map.of("reason", " "));
    assertThat(noReason.getStatusCode()).isEqualTo(HttpStatus.BAD_REQUEST);
    assertThat(errors(noReason)).extracting(e -> e.get("field")).containsExactly("reason");
    assertThat(state(run.id())).isEqualTo("active");

    ResponseEntity<Map> cancelled =
        post(OPERATOR, run.id(), "cancel", Map.of("reason", "wrong maintenance window"));

    assertThat(cancelled.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(cancelled.getBody()).containsEntry("state", "cancelled");
    assertThat(cancelled.getBody().get("outcomeMessage").toString())
        .isEqualTo("Cancelled by operator before the cutover: wrong maintenance window.");
    assertThat(cancelled.getBody().get("endedAt")).isNotNull();
    assertThat(holder(PLATFORM)).isEmpty();
    // The engine no longer has the instance.
    assertThatThrownBy(
            () -> engine.newCancelInstanceCommand(run.processInstanceKey()).send().join())
        .isInstanceOfSatisfying(
            ClientStatusException.class,
            e -> assertThat(e.getStatusCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND));
    assertThat(
            jdbc.sql(
                    "SELECT actor || ' ' || action || ' ' || detail FROM audit_event"
                        + " WHERE target = ? AND action = 'run.cancel'")
                .param(run.id())
                .query(String.class)
                .list())
        .containsExactly("operator run.cancel wrong maintenance window");
    // Its approval task no longer waits in the inbox.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        jdbc.sql("SELECT state FROM approval_task WHERE run_id = ?")
                            .param(run.id())
                            .query(String.class)
                            .list())
                    .containsExactly("cancelled"));
    assertThat(
            as(rest, VIEWER)
                .getForObject("/api/runs?state=cancelled&runbook=approval-demo", List.class))
        .extracting(r -> ((Map<?, ?>) r).get("id"))
        .contains(run.id());

    // The platform is free again; a cancelled run cannot be cancelled twice.
    ResponseEntity<Map> next = startHolding(PLATFORM);
    assertThat(next.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    ResponseEntity<Map> twice = post(OPERATOR, run.id(), "cancel", Map.of("reason", "again"));
    assertThat(twice.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(twice.getBody().get("detail").toString()).contains("has ended (cancelled)");
    cancel(next.getBody().get("id").toString(), "test cleanup");
  }

  @Test
  void cancelInsideTheCutoverWithNoHopChangingThePlatformIsRefused() {
    RunView run = holdPlatform(PLATFORM);
    // The journal as it is once the platform-upgrade stop step started (that worker needs Docker
    // and a deployed platform; what the cancel reads is this row) but no hop is in progress.
    jdbc.sql(
            "INSERT INTO run_step (run_id, element_id, job_type, job_key, state, started_at)"
                + " VALUES (?, 'StopApplications', 'upshift.compose.stop', 1, 'started', ?)")
        .params(run.id(), OffsetDateTime.now())
        .update();

    ResponseEntity<Map> refused = post(OPERATOR, run.id(), "cancel", Map.of("reason", "late"));

    assertThat(refused.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(refused.getBody())
        .containsEntry("title", "No hop in progress")
        .containsEntry("runId", run.id());
    assertThat(refused.getBody().get("detail").toString())
        .contains("StopApplications", "Going back after a completed upgrade");
    assertThat(state(run.id())).isEqualTo("active");
    assertThat(holder(PLATFORM)).contains(run.id());

    jdbc.sql("DELETE FROM run_step WHERE run_id = ?").param(run.id()).update();
    cancel(run.id(), "test cleanup");
  }

  /**
   * While a hop changes the platform, a cancel is recorded (audited) and the run goes on to the
   * next cutover step, which fails with its own failure code so the model rolls the hop back
   * (PlatformUpgradeIT runs that end to end on a real platform).
   */
  @Test
  void cancelWhileAHopChangesThePlatformIsRecordedForTheRollback() {
    RunView run = holdPlatform(PLATFORM);
    jdbc.sql(
            "INSERT INTO run_step (run_id, element_id, job_type, job_key, state, started_at)"
                + " VALUES (?, 'StopApplications', 'upshift.compose.stop', 1, 'completed', ?)")
        .params(run.id(), OffsetDateTime.now())
        .update();
    jdbc.sql(
            "INSERT INTO cutover_action (run_id, hop, action, detail, recorded_at)"
                + " VALUES (?, '1.1.0', 'STOP', '1.0.0', ?)")
        .params(run.id(), OffsetDateTime.now())
        .update();

    ResponseEntity<Map> accepted =
        post(OPERATOR, run.id(), "cancel", Map.of("reason", "window over"));

    assertThat(accepted.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(accepted.getBody()).containsEntry("state", "active");
    assertThat(
            jdbc.sql("SELECT reason FROM cancel_request WHERE run_id = ?")
                .param(run.id())
                .query(String.class)
                .single())
        .isEqualTo("window over");

    jdbc.sql("DELETE FROM run_step WHERE run_id = ?").param(run.id()).update();
    jdbc.sql("DELETE FROM cutover_action WHERE run_id = ?").param(run.id()).update();
    cancel(run.id(), "test cleanup");
  }

  @Test
  void unknownRunsAreNotFoundAndAbandonWantsAnInterruptedRun() {
    String unknown = "3f2a0c6e-5b1d-4c8e-9a7f-2d4e6b8c0a1f";
    assertThat(post(OPERATOR, unknown, "cancel", Map.of("reason", "x")).getStatusCode())
        .isEqualTo(HttpStatus.NOT_FOUND);
    assertThat(post(OPERATOR, "42", "abandon", Map.of("reason", "x")).getStatusCode())
        .isEqualTo(HttpStatus.BAD_REQUEST);

    RunView run = holdPlatform(PLATFORM);
    ResponseEntity<Map> abandon = post(OPERATOR, run.id(), "abandon", Map.of("reason", "x"));
    assertThat(abandon.getStatusCode()).isEqualTo(HttpStatus.CONFLICT);
    assertThat(abandon.getBody().get("detail").toString())
        .contains("only interrupted runs are abandoned (cancel an active run)");
    cancel(run.id(), "test cleanup");
  }

  @Test
  void theConsoleShowsABusyPlatformAndCancelsWithItsCsrfToken() throws Exception {
    RunView first = holdPlatform(PLATFORM);
    HttpClient operator = signIn(OPERATOR);

    // Starting another run of the platform from the form names and links the run that holds it.
    String form = get(operator, "/runs/new").body();
    HttpResponse<String> busy =
        post(
            operator,
            "/runs",
            "runbook=approval-demo&platform=" + PLATFORM + "&targetVersion=&_csrf=" + csrf(form));
    assertThat(busy.statusCode()).isEqualTo(200);
    assertThat(busy.body())
        .contains("id=\"run-conflict\"")
        .contains("Platform &#39;lockdemo&#39; has an active run " + first.id())
        .contains("href=\"/runs/" + first.id() + "\"");

    String page = get(operator, "/runs/" + first.id()).body();
    assertThat(page).contains("id=\"cancel-run\"").doesNotContain("id=\"abandon-run\"");
    HttpClient viewer = signIn(VIEWER);
    assertThat(get(viewer, "/runs/" + first.id()).body()).doesNotContain("id=\"cancel-run\"");
    assertThat(
            post(viewer, "/runs/" + first.id() + "/cancel", "reason=x&_csrf=" + csrf(page))
                .statusCode())
        .isEqualTo(403);

    HttpResponse<String> forged =
        post(operator, "/runs/" + first.id() + "/cancel", "reason=forged");
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(state(first.id())).isEqualTo("active");

    HttpResponse<String> noReason =
        post(operator, "/runs/" + first.id() + "/cancel", "reason=&_csrf=" + csrf(page));
    assertThat(noReason.statusCode()).isEqualTo(302);
    assertThat(get(operator, "/runs/" + first.id()).body())
        .contains("id=\"error\"")
        .contains("reason is required");
    assertThat(state(first.id())).isEqualTo("active");

    HttpResponse<String> cancelled =
        post(
            operator,
            "/runs/" + first.id() + "/cancel",
            "reason="
                + URLEncoder.encode("from the console", StandardCharsets.UTF_8)
                + "&_csrf="
                + csrf(page));
    assertThat(cancelled.statusCode()).isEqualTo(302);
    assertThat(cancelled.headers().firstValue("Location").orElseThrow())
        .endsWith("/runs/" + first.id());
    String after = get(operator, "/runs/" + first.id()).body();
    assertThat(after)
        .contains("Run " + first.id() + " cancelled.")
        .contains("Cancelled by operator before the cutover: from the console.")
        .doesNotContain("id=\"cancel-run\"");
    assertThat(state(first.id())).isEqualTo("cancelled");
    assertThat(holder(PLATFORM)).isEmpty();
    assertThat(get(operator, "/runs?state=cancelled").body()).contains(first.id());
  }

  // --- helpers ------------------------------------------------------------------------------

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

  private RunView holdPlatform(String platform) {
    ResponseEntity<Map> started = startHolding(platform);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    RunView run =
        as(rest, VIEWER).getForObject("/api/runs/" + started.getBody().get("id"), RunView.class);
    assertThat(holder(platform)).contains(run.id());
    return run;
  }

  private ResponseEntity<Map> startHolding(String platform) {
    Map<String, Object> variables = new HashMap<>();
    variables.put("platform", platform);
    variables.put("planHash", "sha256-run-control");
    return as(rest, OPERATOR)
        .postForEntity(
            "/api/runs", Map.of("runbook", "approval-demo", "variables", variables), Map.class);
  }

  private ResponseEntity<Map> startUpgrade(Map<String, Object> variables) {
    return as(rest, OPERATOR)
        .postForEntity(
            "/api/runs",
            Map.of("runbook", "platform-upgrade", "variables", new HashMap<>(variables)),
            Map.class);
  }

  private ResponseEntity<Map> post(String user, String runId, String action, Map<String, ?> body) {
    return as(rest, user).postForEntity("/api/runs/" + runId + "/" + action, body, Map.class);
  }

  private void cancel(String runId, String reason) {
    ResponseEntity<Map> answer = post(OPERATOR, runId, "cancel", Map.of("reason", reason));
    assertThat(answer.getStatusCode()).as("%s", answer.getBody()).isEqualTo(HttpStatus.OK);
  }

  private void awaitApprovalTask(String runId) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                jdbc.sql("SELECT count(*) FROM approval_task WHERE run_id = ?")
                    .param(runId)
                    .query(Long.class)
                    .single(),
            n -> n == 1);
  }

  private String state(String runId) {
    return as(rest, VIEWER).getForObject("/api/runs/" + runId, RunView.class).state();
  }

  private Optional<String> holder(String platform) {
    return jdbc.sql("SELECT run_id FROM platform_lock WHERE platform = ?")
        .param(platform)
        .query(String.class)
        .optional();
  }

  private long runCount() {
    return jdbc.sql("SELECT count(*) FROM run").query(Long.class).single();
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> errors(ResponseEntity<Map> answer) {
    return (List<Map<String, Object>>) answer.getBody().get("errors");
  }

  /** A deployment repository with one tag per release (its files do not matter here). */
  static Path releases(Path directory, String... versions) throws IOException {
    try (Git git = Git.init().setDirectory(directory.toFile()).setInitialBranch("main").call()) {
      for (String version : versions) {
        Files.writeString(directory.resolve("VERSION"), version + "\n");
        git.add().addFilepattern("VERSION").call();
        git.commit().setMessage("release " + version).setSign(false).call();
        git.tag().setName(version).call();
      }
    } catch (org.eclipse.jgit.api.errors.GitAPIException e) {
      throw new IOException(e);
    }
    return directory;
  }
}
