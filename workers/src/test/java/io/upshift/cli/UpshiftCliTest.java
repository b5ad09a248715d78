package io.upshift.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI against a JDK HTTP server on 127.0.0.1 that plays Upshift's API: exit codes, argument
 * errors, credentials, polling, and what goes to stdout and stderr.
 */
class UpshiftCliTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String RUN_ID = "3f2a0c6e-5b1d-4c8e-9a7f-2d4e6b8c0a1f";
  static final String OTHER_RUN_ID = "8d1b7f00-1111-4c8e-9a7f-2d4e6b8c0a1f";

  record Request(String method, String uri, String authorization, String contentType, String body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  record Reply(int status, String body) {}

  interface Route {
    Reply answer(Request request);
  }

  record Result(int exit, String out, String err) {}

  HttpServer server;
  String url;
  final List<Request> requests = new CopyOnWriteArrayList<>();
  final Map<String, Route> routes = new ConcurrentHashMap<>();

  @BeforeEach
  void startFakeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          Request request =
              new Request(
                  exchange.getRequestMethod(),
                  exchange.getRequestURI().toString(),
                  exchange.getRequestHeaders().getFirst("Authorization"),
                  exchange.getRequestHeaders().getFirst("Content-Type"),
                  new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          requests.add(request);
          Route route = routes.get(request.method() + " " + exchange.getRequestURI().getRawPath());
          Reply reply =
              route == null
                  ? problem(404, "Not Found", "no route " + request.uri(), "")
                  : route.answer(request);
          byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .set(
                  "Content-Type",
                  reply.status() < 300 ? "application/json" : "application/problem+json");
          exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
          if (body.length > 0) {
            exchange.getResponseBody().write(body);
          }
          exchange.close();
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopFakeApi() {
    server.stop(0);
  }

  // --- runs ---------------------------------------------------------------------------------

  @Test
  void runsListPrintsATableOrTheServersJson() throws IOException {
    String body = "[" + run(RUN_ID, "completed", "Upgraded") + "," + activeRun(OTHER_RUN_ID) + "]";
    routes.put("GET /api/runs", r -> new Reply(200, body));

    Result table = cli("runs", "list");
    assertThat(table.exit()).isZero();
    assertThat(table.out().lines().findFirst().orElseThrow())
        .startsWith("ID")
        .contains("RUNBOOK", "STATE", "STARTED", "DURATION");
    assertThat(table.out()).contains(RUN_ID, OTHER_RUN_ID, "completed", "1m 32s");
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs?limit=50");

    Result json = cli("runs", "list", "--json", "--limit", "5");
    assertThat(json.exit()).isZero();
    assertThat(json.out().strip()).isEqualTo(body);
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs?limit=5");

    Result completed = cli("runs", "list", "--state", "completed", "--json");
    assertThat(completed.exit()).isZero();
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs?limit=50&state=completed");
    JsonNode filtered = JSON.readTree(completed.out());
    assertThat(filtered).hasSize(1);
    assertThat(filtered.get(0)).isEqualTo(JSON.readTree(body).get(0));
  }

  @Test
  void runsShowPrintsStateDurationOutcomeAndTheTimelineWithTheApprovals() {
    routes.put(
        "GET /api/runs/" + RUN_ID, r -> new Reply(200, run(RUN_ID, "completed", "Upgraded")));
    routes.put(
        "GET /api/approvals", r -> new Reply(200, "[" + task(7, "approved", "approver") + "]"));

    Result result = cli("runs", "show", RUN_ID);

    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains("Run " + RUN_ID + "  platform-upgrade v1  completed")
        .contains("requested by  operator")
        .contains("took 1m 32s")
        .contains("outcome       Upgraded demo from 1.0.0 to 1.1.0")
        .containsPattern(
            "(?m)^  STEP +AT +STATE +DURATION +SUMMARY\n"
                + "  PlanUpgrade +\\+0ms +completed +1\\.5s +plan 1\\.0\\.0 -> 1\\.1\\.0 hash sha256-abc\n"
                + "  ApproveMaintenanceWindow +\\+10s +approved +20s"
                + " +task 7 'Approve maintenance window' by approver: window now\n"
                + "  StartPlatform +\\+1m 00s +completed +20s +healthy after 20 s$");
    assertThat(result.err()).isEmpty();
    assertThat(requests.getLast().uri())
        .isEqualTo("/api/approvals?state=all&runId=" + RUN_ID + "&limit=500");
  }

  @Test
  void withoutTheRightToReadApprovalsTheSummaryShowsTheSteps() {
    routes.put(
        "GET /api/runs/" + RUN_ID, r -> new Reply(200, run(RUN_ID, "completed", "Upgraded")));
    routes.put("GET /api/approvals", r -> problem(403, "Forbidden", "User 'x' lacks the role", ""));

    Result result = cli("runs", "show", RUN_ID);

    assertThat(result.exit()).isZero();
    assertThat(result.out()).contains("PlanUpgrade", "StartPlatform");
    assertThat(result.err()).contains("approval tasks not shown: refused (403 Forbidden)");
  }

  @Test
  void runsStartSendsTheRunbookAndTheVariablesAndPrintsTheRunId() throws IOException {
    routes.put("POST /api/runs", r -> new Reply(201, activeRun(RUN_ID)));

    Result result =
        cli(
            "runs",
            "start",
            "--runbook",
            "platform-upgrade",
            "--platform",
            "demo",
            "--target=1.1.0",
            "--var",
            "signOffWindow=PT2M",
            "--var",
            "note=a=b",
            "--var-json",
            "allowSteppingStones=true");

    assertThat(result.exit()).isZero();
    assertThat(result.out().strip()).isEqualTo(RUN_ID);
    assertThat(result.err()).contains("upshift cli runs wait " + RUN_ID);
    Request sent = requests.getLast();
    assertThat(sent.contentType()).isEqualTo("application/json");
    assertThat(sent.json())
        .isEqualTo(
            JSON.readTree(
                """
                {"runbook": "platform-upgrade",
                 "variables": {"platform": "demo", "targetVersion": "1.1.0",
                               "signOffWindow": "PT2M", "note": "a=b",
                               "allowSteppingStones": true}}
                """));
  }

  @Test
  void fieldErrorsOfA400ArePrintedOneALineWithExit2() {
    routes.put(
        "POST /api/runs",
        r ->
            problem(
                400,
                "Invalid input",
                "variables.platform: must be a registered platform: [demo]; ...",
                """
                ,"errors": [
                  {"field": "variables.platform", "message": "must be a registered platform: [demo]"},
                  {"field": "variables.targetVersion", "message": "is required: a release version like 1.2.0"}]
                """));

    Result result = cli("runs", "start", "--runbook", "platform-upgrade", "--platform", "nope");

    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err())
        .contains("the server refused the input (400)")
        .contains("\n  variables.platform: must be a registered platform: [demo]\n")
        .contains("\n  variables.targetVersion: is required: a release version like 1.2.0\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void waitPollsUntilTheRunEndsAndPrintsTheSummary() {
    AtomicInteger polls = new AtomicInteger();
    routes.put(
        "GET /api/runs/" + RUN_ID,
        r ->
            new Reply(
                200,
                polls.incrementAndGet() < 3
                    ? activeRun(RUN_ID)
                    : run(RUN_ID, "completed", "Upgraded")));
    routes.put("GET /api/approvals", r -> new Reply(200, "[" + task(7, "waiting", null) + "]"));

    Result result = cli("runs", "wait", RUN_ID, "--interval", "20ms");

    assertThat(result.exit()).isZero();
    assertThat(polls).hasValue(3);
    assertThat(result.out()).contains("completed", "took 1m 32s", "PlanUpgrade", "StartPlatform");
    assertThat(result.err())
        .contains("run " + RUN_ID + " at BackupDatabases")
        .contains("waits for approval task 7 'Approve maintenance window'");
    // Each task and each element is announced once, however often the run is polled.
    assertThat(result.err().split("approval task 7", -1)).hasSize(2);
    // Waiting tasks while it runs; all of the run's tasks for the timeline at the end.
    assertThat(requests)
        .filteredOn(r -> r.uri().startsWith("/api/approvals"))
        .extracting(Request::uri)
        .containsExactly(
            "/api/approvals?runId=" + RUN_ID,
            "/api/approvals?runId=" + RUN_ID,
            "/api/approvals?state=all&runId=" + RUN_ID + "&limit=500");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "failed",
        "rolled-back",
        "rejected",
        "expired",
        "cancelled",
        "interrupted",
        "abandoned"
      })
  void waitExits1WhenTheRunEndsOtherwiseThanCompleted(String state) {
    routes.put("GET /api/runs/" + RUN_ID, r -> new Reply(200, run(RUN_ID, state, "RolledBack")));
    routes.put("GET /api/approvals", r -> new Reply(200, "[]"));

    Result result = cli("runs", "wait", RUN_ID, "--interval", "20ms");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.out()).contains("platform-upgrade v1  " + state);
    assertThat(result.err())
        .contains("run " + RUN_ID + " ended " + state + ": Upgraded demo from 1.0.0 to 1.1.0");
  }

  @Test
  void waitGivesUpAfterTheTimeoutWithExit5() {
    AtomicInteger polls = new AtomicInteger();
    routes.put(
        "GET /api/runs/" + RUN_ID,
        r -> {
          polls.incrementAndGet();
          return new Reply(200, activeRun(RUN_ID));
        });
    routes.put("GET /api/approvals", r -> new Reply(200, "[]"));

    Result result = cli("runs", "wait", RUN_ID, "--timeout", "300ms", "--interval", "50ms");

    assertThat(result.exit()).isEqualTo(5);
    assertThat(result.err())
        .contains("run " + RUN_ID + " is still active after --timeout 300ms (at BackupDatabases)");
    assertThat(polls.get()).isGreaterThanOrEqualTo(3);
    assertThat(result.out()).isEmpty();
  }

  @Test
  void aTimeoutWhileTheRunWaitsForAPersonNamesTheTask() {
    routes.put("GET /api/runs/" + RUN_ID, r -> new Reply(200, activeRun(RUN_ID)));
    routes.put("GET /api/approvals", r -> new Reply(200, "[" + task(7, "waiting", null) + "]"));

    Result result = cli("runs", "wait", RUN_ID, "--timeout", "100ms", "--interval", "20ms");

    assertThat(result.exit()).isEqualTo(5);
    assertThat(result.err())
        .contains("is still active after --timeout 100ms (waiting for approval task 7)");
  }

  @Test
  void startWithWaitFollowsTheRunToItsEnd() throws IOException {
    routes.put("POST /api/runs", r -> new Reply(201, activeRun(RUN_ID)));
    routes.put("GET /api/runs/" + RUN_ID, r -> new Reply(200, run(RUN_ID, "completed", "Done")));

    Result result =
        cli("runs", "start", "--runbook", "health-check", "--wait", "--timeout", "PT1M", "--json");

    assertThat(result.exit()).isZero();
    assertThat(JSON.readTree(result.out()).get("state").asText()).isEqualTo("completed");
    assertThat(result.err()).contains("started run " + RUN_ID + " (health-check) as operator");
  }

  @Test
  void cancelSendsTheReasonAndPrintsTheOutcome() throws IOException {
    routes.put(
        "POST /api/runs/" + RUN_ID + "/cancel",
        r ->
            new Reply(
                200,
                withOutcome(
                    run(RUN_ID, "cancelled", "BackupDatabases"),
                    "Cancelled by operator before the cutover: wrong target.")));

    Result result = cli("runs", "cancel", RUN_ID, "--reason", " wrong target ");

    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains("Run " + RUN_ID + " cancelled")
        .contains("Cancelled by operator before the cutover: wrong target.");
    Request sent = requests.getLast();
    assertThat(sent.method()).isEqualTo("POST");
    assertThat(sent.contentType()).isEqualTo("application/json");
    assertThat(sent.json()).isEqualTo(JSON.readTree("{\"reason\": \"wrong target\"}"));

    Result json = cli("runs", "cancel", RUN_ID, "--reason=again", "--json");
    assertThat(json.exit()).isZero();
    assertThat(JSON.readTree(json.out()).get("state").asText()).isEqualTo("cancelled");
  }

  @Test
  void aCancelInsideTheCutoverIsRefusedWithExit1AndTheServersReason() {
    routes.put(
        "POST /api/runs/" + RUN_ID + "/cancel",
        r ->
            problem(
                409,
                "Inside the cutover",
                "Run "
                    + RUN_ID
                    + " is inside its cutover (step StopApplications started at"
                    + " 2026-11-22T02:30:48Z): cancelling it now means rolling the platform back",
                ",\"runId\": \"" + RUN_ID + "\""));

    Result result = cli("runs", "cancel", RUN_ID, "--reason", "too late");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .contains("refused (409 Inside the cutover): Run " + RUN_ID + " is inside its cutover")
        .contains("rolling the platform back");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void resumeAndRollbackPostTheReasonAndPrintWhereTheRunGoesOn() throws IOException {
    routes.put(
        "POST /api/runs/" + RUN_ID + "/resume",
        r ->
            new Reply(
                200,
                withOutcome(
                    run(RUN_ID, "active", "Cutover"),
                    "Resumed by operator at Cutover for hop 1.1.0 (1 of 1): checked")));
    routes.put(
        "POST /api/runs/" + RUN_ID + "/rollback",
        r ->
            problem(
                409,
                "Nothing to roll back",
                "Run " + RUN_ID + " has no hop that changed the platform",
                ",\"runId\": \"" + RUN_ID + "\""));

    Result resumed = cli("runs", "resume", RUN_ID, "--reason", "checked");
    assertThat(resumed.exit()).isZero();
    assertThat(resumed.out()).contains("Run " + RUN_ID + " active").contains("Resumed by operator");
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs/" + RUN_ID + "/resume");
    assertThat(requests.getLast().json().get("reason").asText()).isEqualTo("checked");

    Result refused = cli("runs", "rollback", RUN_ID, "--reason", "go back");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("refused (409 Nothing to roll back)");
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs/" + RUN_ID + "/rollback");
  }

  @Test
  void abandonPrintsTheByHandInstructions() throws IOException {
    routes.put(
        "POST /api/runs/" + RUN_ID + "/abandon",
        r ->
            new Reply(
                200,
                withOutcome(
                    run(RUN_ID, "abandoned", "StopApplications"),
                    "Abandoned by operator: checked. It had reached the cutover; see"
                        + " docs/operations.md, Restoring by hand")));

    Result result = cli("runs", "abandon", RUN_ID, "--reason", "checked");

    assertThat(result.exit()).isZero();
    assertThat(result.out()).contains("Run " + RUN_ID + " abandoned").contains("Restoring by hand");
    assertThat(requests.getLast().uri()).isEqualTo("/api/runs/" + RUN_ID + "/abandon");
    assertThat(requests.getLast().json().get("reason").asText()).isEqualTo("checked");
  }

  @Test
  void aStartOnABusyPlatformExits1NamingTheRunThatHoldsIt() {
    routes.put(
        "POST /api/runs",
        r ->
            problem(
                409,
                "Platform busy",
                "Platform 'demo' has an active run "
                    + OTHER_RUN_ID
                    + ": wait for it to end, or cancel it before starting another upgrade of it",
                ",\"runId\": \"" + OTHER_RUN_ID + "\", \"platform\": \"demo\""));

    Result result =
        cli(
            "runs",
            "start",
            "--runbook",
            "platform-upgrade",
            "--platform",
            "demo",
            "--target",
            "1.1.0");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err())
        .contains("refused (409 Platform busy): Platform 'demo' has an active run " + OTHER_RUN_ID);
    assertThat(result.out()).isEmpty();
  }

  // --- approvals ----------------------------------------------------------------------------

  @Test
  void approvalsListAndShow() {
    String list = "[" + task(7, "waiting", null) + "]";
    routes.put("GET /api/approvals", r -> new Reply(200, list));
    routes.put("GET /api/approvals/7", r -> new Reply(200, task(7, "approved", "approver")));

    Result table = cli("approvals", "list");
    assertThat(table.exit()).isZero();
    assertThat(table.out()).contains("Approve maintenance window", "waiting", RUN_ID);
    assertThat(requests.getLast().uri()).isEqualTo("/api/approvals?state=waiting");

    Result json = cli("approvals", "list", "--json", "--state", "all", "--run", RUN_ID);
    assertThat(json.out().strip()).isEqualTo(list);
    assertThat(requests.getLast().uri()).isEqualTo("/api/approvals?state=all&runId=" + RUN_ID);

    Result show = cli("approvals", "show", "7");
    assertThat(show.exit()).isZero();
    assertThat(show.out())
        .contains("Approval task 7: Approve maintenance window  approved")
        .contains("plan hash     sha256-abc")
        .contains("\"path\" : \"1.0.0 -> 1.1.0\"")
        .contains("approved by approver: window now");
  }

  @Test
  void approveAndRejectSendTheDecisionWithTheComment() throws IOException {
    routes.put("POST /api/approvals/7/decision", r -> new Reply(200, task(7, "rejected", "bob")));

    Result result = cli("approvals", "reject", "7", "--comment", " not tonight ");

    assertThat(result.exit()).isZero();
    assertThat(result.out().strip())
        .isEqualTo(
            "Approval task 7 'Approve maintenance window' rejected by bob (run " + RUN_ID + ")");
    assertThat(requests.getLast().json())
        .isEqualTo(JSON.readTree("{\"decision\": \"reject\", \"comment\": \"not tonight\"}"));

    cli("approvals", "approve", "7");
    assertThat(requests.getLast().json()).isEqualTo(JSON.readTree("{\"decision\": \"approve\"}"));
  }

  // --- credentials --------------------------------------------------------------------------

  @Test
  void basicCredentialsFromTheEnvironment() {
    routes.put("GET /api/runs", r -> new Reply(200, "[]"));

    Result result =
        cli(Map.of("UPSHIFT_USER", "operator", "UPSHIFT_PASSWORD", "s3cret"), "runs", "list");

    assertThat(result.exit()).isZero();
    assertThat(requests.getLast().authorization()).isEqualTo(basic("operator", "s3cret"));
    assertThat(result.err()).contains("no runs");
  }

  @Test
  void passwordFileGivesBasicCredentialsAndBeatsAToken(@TempDir Path dir) throws IOException {
    routes.put("GET /api/runs", r -> new Reply(200, "[]"));
    Path file = dir.resolve("password");
    Files.writeString(file, "pa ss:word\n");

    Result result =
        cli(
            Map.of("UPSHIFT_TOKEN", "tok-123"),
            "runs",
            "list",
            "--user",
            "alice",
            "--password-file",
            file.toString());

    assertThat(result.exit()).isZero();
    assertThat(requests.getLast().authorization()).isEqualTo(basic("alice", "pa ss:word"));
  }

  @Test
  void tokenGivesABearerHeader() {
    routes.put("GET /api/runs", r -> new Reply(200, "[]"));

    Result result =
        cli(
            Map.of("UPSHIFT_TOKEN", "tok-123", "UPSHIFT_USER", "operator", "UPSHIFT_PASSWORD", "x"),
            "runs",
            "list");

    assertThat(result.exit()).isZero();
    assertThat(requests.getLast().authorization()).isEqualTo("Bearer tok-123");
  }

  @Test
  void unauthenticatedExits3WithTheServersDetailAndAHint() {
    routes.put(
        "GET /api/runs",
        r -> problem(401, "Authentication required", "Send HTTP Basic credentials.", ""));

    Result result = cli(Map.of(), "runs", "list");

    assertThat(result.exit()).isEqualTo(3);
    assertThat(requests.getLast().authorization()).isNull();
    assertThat(result.err())
        .contains("authentication refused (401): Send HTTP Basic credentials.")
        .contains("set UPSHIFT_USER and UPSHIFT_PASSWORD");
  }

  @Test
  void forbiddenExits3WithTheServersDetail() {
    routes.put(
        "POST /api/approvals/7/decision",
        r ->
            problem(
                403,
                "Separation of duties",
                "User 'operator' requested run " + RUN_ID + " and may not decide its approval task",
                ""));

    Result result = cli("approvals", "approve", "7", "--comment", "mine");

    assertThat(result.exit()).isEqualTo(3);
    assertThat(result.err())
        .contains("refused (403 Separation of duties): User 'operator' requested run " + RUN_ID);
  }

  // --- other exit codes ---------------------------------------------------------------------

  @Test
  void notFoundExits4() {
    routes.put(
        "GET /api/runs/" + RUN_ID, r -> problem(404, "Not Found", "No run with id " + RUN_ID, ""));

    Result result = cli("runs", "show", RUN_ID);

    assertThat(result.exit()).isEqualTo(4);
    assertThat(result.err()).contains("not found (404): No run with id " + RUN_ID);
  }

  @Test
  void aDecisionOnATaskThatIsNoLongerOpenExits1() {
    routes.put(
        "POST /api/approvals/7/decision",
        r -> problem(409, "Task not open", "Approval task 7 is approved (by bob)", ""));

    Result result = cli("approvals", "approve", "7");

    assertThat(result.exit()).isEqualTo(1);
    assertThat(result.err()).contains("refused (409 Task not open): Approval task 7 is approved");
  }

  @Test
  void serverErrorsExit5() {
    routes.put(
        "POST /api/approvals/7/decision",
        r -> problem(503, "Engine unavailable", "the task stays open, try again", ""));

    Result result = cli("approvals", "approve", "7");

    assertThat(result.exit()).isEqualTo(5);
    assertThat(result.err()).contains("the server failed (503 Engine unavailable)");
  }

  @Test
  void unreachableServerExits5() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }

    Result result = cli(Map.of("UPSHIFT_URL", "http://127.0.0.1:" + closedPort), "runs", "list");

    assertThat(result.exit()).isEqualTo(5);
    assertThat(result.err())
        .contains(
            "cannot reach Upshift at http://127.0.0.1:" + closedPort + " (connection refused)");
  }

  @Test
  void helpPrintsTheCommandsAndExitCodes() {
    Result help = cli("help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("runs wait ID", "approvals reject ID --comment TEXT");
    for (Exit exit : Exit.values()) {
      assertThat(help.out()).contains("\n  " + exit.code + "  ");
    }

    Result none = cli();
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("Usage: upshift cli", "a command is required");
    assertThat(none.out()).isEmpty();
  }

  // --- argument errors ----------------------------------------------------------------------

  static Stream<Arguments> badArguments() {
    return Stream.of(
        bad(
            "--var 'novalue' must be key=value",
            "runs",
            "start",
            "--runbook",
            "r",
            "--var",
            "novalue"),
        bad("--var '=x' must be key=value", "runs", "start", "--runbook", "r", "--var", "=x"),
        bad(
            "--var-json flag: 'yes' is not JSON",
            "runs",
            "start",
            "--runbook",
            "r",
            "--var-json",
            "flag=yes"),
        bad(
            "the variable platform is given twice (--platform and --var platform)",
            "runs",
            "start",
            "--runbook",
            "r",
            "--platform",
            "a",
            "--var",
            "platform=b"),
        bad("'runs start' needs --runbook R", "runs", "start", "--platform", "demo"),
        bad(
            "--timeout only applies with --wait",
            "runs",
            "start",
            "--runbook",
            "r",
            "--timeout",
            "5m"),
        bad(
            "--timeout 'soon' is not a duration: use e.g. 90s, 5m",
            "runs",
            "wait",
            RUN_ID,
            "--timeout",
            "soon"),
        bad("--timeout '0s' must be longer than zero", "runs", "wait", RUN_ID, "--timeout", "0s"),
        bad("--timeout needs a value", "runs", "wait", RUN_ID, "--timeout"),
        bad(
            "--state 'done' is not one of active, completed, failed, rolled-back, rejected, expired,"
                + " cancelled, interrupted, abandoned",
            "runs",
            "list",
            "--state",
            "done"),
        bad("--limit '0' must be a whole number from 1 to 500", "runs", "list", "--limit", "0"),
        bad(
            "--state 'open' is not one of all, waiting, approved, rejected, expired, cancelled",
            "approvals",
            "list",
            "--state",
            "open"),
        bad("--run 'x' is not a run id", "approvals", "list", "--run", "x"),
        bad(
            "--wait does not apply to 'runs list'; its options are --json, --limit, --state",
            "runs",
            "list",
            "--wait"),
        bad("--json takes no value", "runs", "list", "--json=yes"),
        bad("--state is given twice", "runs", "list", "--state", "failed", "--state", "expired"),
        bad("unknown option --frobnicate", "runs", "list", "--frobnicate"),
        bad("'runs show' needs a run id", "runs", "show"),
        bad("'42' is not a run id: a UUID", "runs", "show", "42"),
        bad("unexpected argument 'extra'", "runs", "show", RUN_ID, "extra"),
        bad("'abc' is not an approval task id: a positive number", "approvals", "show", "abc"),
        bad("'approvals reject' needs --comment TEXT", "approvals", "reject", "7"),
        bad(
            "--comment has 2001 characters; at most 2000",
            "approvals",
            "approve",
            "7",
            "--comment",
            "x".repeat(2001)),
        bad(
            "unknown command 'runs bogus'; one of list, show, start, wait, cancel, abandon,"
                + " resume, rollback",
            "runs",
            "bogus"),
        bad("'runs cancel' needs --reason TEXT", "runs", "cancel", RUN_ID),
        bad("'runs resume' needs --reason TEXT", "runs", "resume", RUN_ID),
        bad("'runs cancel' needs --reason TEXT", "runs", "cancel", RUN_ID, "--reason", "  "),
        bad("'runs abandon' needs --reason TEXT", "runs", "abandon", RUN_ID),
        bad("'runs cancel' needs a run id", "runs", "cancel", "--reason", "x"),
        bad("'7' is not a run id: a UUID", "runs", "cancel", "7", "--reason", "x"),
        bad(
            "--reason has 2001 characters; at most 2000",
            "runs",
            "abandon",
            RUN_ID,
            "--reason",
            "x".repeat(2001)),
        bad(
            "--comment does not apply to 'runs cancel'",
            "runs",
            "cancel",
            RUN_ID,
            "--comment",
            "x"),
        bad("'approvals' needs a command; one of list, show, approve, reject", "approvals"),
        bad("unknown command 'deploy'; one of runs, approvals, help", "deploy"),
        bad(
            "--url 'ftp://example' must be an http(s) URL",
            "--url",
            "ftp://example",
            "runs",
            "list"),
        bad(
            "--password is not accepted",
            "runs",
            "list",
            "--user",
            "alice",
            "--password",
            "secret"),
        bad("--password is not accepted", "runs", "list", "--password=secret"),
        bad(
            "user 'alice' needs a password: set UPSHIFT_PASSWORD or use --password-file FILE",
            "runs",
            "list",
            "--user",
            "alice"),
        bad(
            "--password-file '/nonexistent/pw' does not exist",
            "runs",
            "list",
            "--user",
            "a",
            "--password-file",
            "/nonexistent/pw"));
  }

  @ParameterizedTest
  @MethodSource("badArguments")
  void argumentErrorsExit2NamingTheOptionAndSendNothing(String expected, String[] args) {
    Result result = cli(Map.of(), args);

    assertThat(result.exit()).as(result.err()).isEqualTo(2);
    assertThat(result.err()).contains(expected);
    assertThat(result.out()).isEmpty();
    assertThat(requests).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "90s, PT1M30S",
    "5m, PT5M",
    "1h30m, PT1H30M",
    "500ms, PT0.5S",
    "PT2M, PT2M",
    "p1d, PT24H"
  })
  void durationsAsPeopleTypeThemOrIso(String text, String iso) {
    assertThat(Durations.parse("--timeout", text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"90", "5 m", "-5s", "0s", "PT-1S", "1w", ""})
  void badDurationsNameTheOption(String text) {
    assertThatThrownBy(() -> Durations.parse("--timeout", text))
        .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exit()).isEqualTo(Exit.USAGE))
        .hasMessageStartingWith("--timeout '" + text + "'");
  }

  // --- helpers ------------------------------------------------------------------------------

  static Arguments bad(String expected, String... args) {
    return Arguments.of(expected, args);
  }

  /** As the operator, against the fake API. */
  Result cli(String... args) {
    return cli(Map.of("UPSHIFT_USER", "operator", "UPSHIFT_PASSWORD", "operator-demo"), args);
  }

  Result cli(Map<String, String> env, String... args) {
    Map<String, String> environment = new HashMap<>(Map.of("UPSHIFT_URL", url));
    environment.putAll(env);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        UpshiftCli.run(
            args,
            environment,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static Reply problem(int status, String title, String detail, String more) {
    return new Reply(
        status,
        """
        {"type": "about:blank", "title": "%s", "status": %d, "detail": "%s"%s}
        """
            .formatted(title, status, detail, more));
  }

  static String activeRun(String id) {
    return """
        {"id": "%s", "runbook": "platform-upgrade", "runbookVersion": 1, "processInstanceKey": 5,
         "state": "active", "currentElement": "BackupDatabases", "incident": null,
         "outcomeMessage": null, "requestedBy": "operator",
         "startedAt": "2025-11-20T10:00:00Z", "endedAt": null, "steps": []}
        """
        .formatted(id);
  }

  static String run(String id, String state, String element) {
    return """
        {"id": "%s", "runbook": "platform-upgrade", "runbookVersion": 1, "processInstanceKey": 5,
         "state": "%s", "currentElement": "%s", "incident": null,
         "outcomeMessage": "Upgraded demo from 1.0.0 to 1.1.0", "requestedBy": "operator",
         "startedAt": "2025-11-20T10:00:00Z", "endedAt": "2025-11-20T10:01:32Z",
         "steps": [
           {"elementId": "PlanUpgrade", "jobType": "upshift.plan.create", "jobKey": 11,
            "state": "completed", "summary": "plan 1.0.0 -> 1.1.0\\nhash sha256-abc",
            "startedAt": "2025-11-20T10:00:00Z", "endedAt": "2025-11-20T10:00:01.500Z",
            "durationMs": 1500},
           {"elementId": "StartPlatform", "jobType": "upshift.compose.up", "jobKey": 12,
            "state": "completed", "summary": "healthy after 20 s",
            "startedAt": "2025-11-20T10:01:00Z", "endedAt": "2025-11-20T10:01:20Z",
            "durationMs": 20000}]}
        """
        .formatted(id, state, element);
  }

  static String withOutcome(String run, String outcome) {
    return run.replace("Upgraded demo from 1.0.0 to 1.1.0", outcome);
  }

  static String task(long id, String state, String decidedBy) {
    String decided =
        decidedBy == null
            ? "\"decidedBy\": null, \"decidedAt\": null, \"comment\": null, \"audit\": null"
            : ("\"decidedBy\": \"%s\", \"decidedAt\": \"2025-11-20T10:00:30Z\","
                    + " \"comment\": \"window now\", \"audit\": [{\"id\": 1, \"taskId\": %d,"
                    + " \"runId\": \"%s\", \"decision\": \"%s\", \"decidedBy\": \"%s\","
                    + " \"decidedAt\": \"2025-11-20T10:00:30Z\", \"comment\": \"window now\","
                    + " \"planHash\": \"sha256-abc\"}]")
                .formatted(decidedBy, id, RUN_ID, state, decidedBy);
    return """
        {"id": %d, "jobKey": 99, "runId": "%s", "processInstanceKey": 5,
         "runbook": "platform-upgrade", "elementId": "ApproveMaintenanceWindow",
         "name": "Approve maintenance window", "candidateGroups": ["approvers"],
         "dueDate": "2025-11-23T10:00:00Z", "evidence": {"path": "1.0.0 -> 1.1.0"},
         "planHash": "sha256-abc", "state": "%s", "remindedAt": null,
         "createdAt": "2025-11-20T10:00:10Z", %s}
        """
        .formatted(id, RUN_ID, state, decided);
  }
}
