package io.upshift.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.platform.ReleaseRepository;
import io.upshift.support.DemoPlatform;
import io.upshift.support.Deployment;
import io.upshift.support.TestUsers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A whole demo upgrade (1.0.0 to 1.1.0) driven only through {@link UpshiftCli#run}, the way an
 * operator and an approver would from two terminals: against the real service with its embedded
 * engine, a real demo platform under Docker, and the test users.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/cli",
      // A fresh database per build: job keys restart with the engine, old rows would collide.
      "spring.datasource.url=jdbc:h2:mem:cli-it;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
class CliUpgradeIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static Deployment platform;
  static ReleaseRepository releases;

  @LocalServerPort int port;

  record Result(int exit, String out, String err) {}

  @DynamicPropertySource
  static void platform(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-cli-it");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    platform = new Deployment(releases, "cli", scratch.resolve("cli")).checkout("1.0.0");
    assertThat(platform.bringUp()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    platform.register(registry, "cli", bare);
  }

  @AfterAll
  static void tearDown() {
    if (platform != null) {
      platform.close();
    }
    if (releases != null) {
      releases.close();
    }
  }

  @Test
  void operatorStartsApproverDecidesAndWaitEndsCompleted() throws Exception {
    Result started =
        cli(
            TestUsers.OPERATOR,
            "runs",
            "start",
            "--runbook",
            "platform-upgrade",
            "--platform",
            "cli",
            "--target",
            "1.1.0",
            "--var",
            "signOffWindow=PT5M");
    assertThat(started.exit()).as(started.err()).isZero();
    String runId = started.out().strip();
    assertThat(started.err()).contains("started run " + runId + " (platform-upgrade) as operator");

    JsonNode approval = awaitTask(runId, Optional.empty());
    String approvalId = approval.get("id").asText();
    assertThat(approval.get("name").asText()).isEqualTo("Approve maintenance window");

    // While the run waits for a person, a bounded wait gives up with 5 and says what it waits for.
    Result impatient =
        cli(TestUsers.VIEWER, "runs", "wait", runId, "--timeout", "1s", "--interval", "200ms");
    assertThat(impatient.exit()).as(impatient.err()).isEqualTo(5);
    assertThat(impatient.err())
        .contains("waits for approval task " + approvalId + " 'Approve maintenance window'")
        .contains("is still active after --timeout 1s");

    // The requester may not approve their own run (the test operator is no approver either).
    Result own = cli(TestUsers.OPERATOR, "approvals", "approve", approvalId, "--comment", "mine");
    assertThat(own.exit()).as(own.err()).isEqualTo(3);
    assertThat(own.err()).contains("refused (403").contains("User 'operator'");

    Result approved =
        cli(TestUsers.APPROVER, "approvals", "approve", approvalId, "--comment", "window now");
    assertThat(approved.exit()).as(approved.err()).isZero();
    assertThat(approved.out()).contains("'Approve maintenance window' approved by approver");

    // After the cutover the runbook waits for a sign-off within the observation window.
    JsonNode signOff = awaitTask(runId, Optional.of(approvalId));
    assertThat(signOff.get("name").asText()).isEqualTo("Sign off upgrade");
    // The downtime users saw (entry points polled every 100 ms) is at most the time until every
    // service counted as started; both are this one hop's.
    JsonNode evidence = signOff.path("evidence");
    System.out.println("sign-off evidence downtime: " + evidence.path("downtimeByHop"));
    assertThat(evidence.path("userVisibleDowntimeSeconds").asDouble(-1))
        .as(evidence.toString())
        .isPositive()
        .isLessThanOrEqualTo(evidence.path("downtimeSeconds").asDouble(-1));
    assertThat(evidence.path("downtimeByHop").path("1.1.0").path("downtimeSeconds").asDouble(-1))
        .as(evidence.toString())
        .isEqualTo(evidence.path("downtimeSeconds").asDouble());
    Result signed =
        cli(
            TestUsers.APPROVER,
            "approvals",
            "approve",
            signOff.get("id").asText(),
            "--comment",
            "checked");
    assertThat(signed.exit()).as(signed.err()).isZero();

    Result waited =
        cli(TestUsers.OPERATOR, "runs", "wait", runId, "--timeout", "5m", "--interval", "1s");
    assertThat(waited.exit()).as(waited.err() + waited.out()).isZero();
    assertThat(waited.out()).containsPattern("platform-upgrade v\\d+  completed");

    Result shown = cli(TestUsers.VIEWER, "runs", "show", runId);
    System.out.println("upshift cli runs show " + runId + "\n" + shown.out());
    assertThat(shown.exit()).as(shown.err()).isZero();
    assertThat(shown.out())
        .containsPattern("Run " + runId + "  platform-upgrade v\\d+  completed")
        .contains("requested by  operator")
        .containsPattern("ended +\\S+ \\(took \\d")
        .containsPattern("(?m)^  at +Upgraded$")
        .containsPattern("(?m)^  STEP +AT +STATE +DURATION +SUMMARY$");
    assertThat(stepLines(shown.out()))
        .containsSubsequence(
            "PlanUpgrade",
            "BackUpPlatform",
            "RehearseRestore",
            "StopApplications",
            "CheckoutRelease",
            "ApplyMigrations",
            "StartPlatform",
            "VerifyPlatform",
            "RecordVersion");
    assertThat(shown.out())
        .containsPattern("(?m)^  StartPlatform +\\+\\S+( \\S+)? +completed +\\d")
        .containsPattern(
            "(?m)^  StartPlatform .* downtime [\\d.]+ s as users saw it, [\\d.]+ s until all");

    Result json = cli(TestUsers.VIEWER, "runs", "show", runId, "--json");
    assertThat(JSON.readTree(json.out()).get("state").asText()).isEqualTo("completed");
    platform.checkout("1.1.0");
    assertThat(platform.callChecks()).isEqualTo(platform.expectedStatuses());
  }

  /**
   * The run's first waiting task other than {@code except}, found with {@code approvals list
   * --json} as the approver; fails early with the run's summary if the run ends first.
   */
  private JsonNode awaitTask(String runId, Optional<String> except) {
    return await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () -> {
              Result list = cli(TestUsers.APPROVER, "approvals", "list", "--run", runId, "--json");
              assertThat(list.exit()).as(list.err()).isZero();
              for (JsonNode task : JSON.readTree(list.out())) {
                if (except.isEmpty() || !except.get().equals(task.get("id").asText())) {
                  return Optional.of(task);
                }
              }
              Result run = cli(TestUsers.VIEWER, "runs", "show", runId, "--json");
              assertThat(JSON.readTree(run.out()).get("state").asText())
                  .as(() -> cli(TestUsers.VIEWER, "runs", "show", runId).out())
                  .isEqualTo("active");
              return Optional.<JsonNode>empty();
            },
            Optional::isPresent)
        .orElseThrow();
  }

  private static List<String> stepLines(String summary) {
    List<String> steps = new ArrayList<>();
    boolean inTable = false;
    for (String line : summary.split("\n")) {
      if (line.startsWith("  STEP ")) {
        inTable = true;
      } else if (inTable && !line.isBlank()) {
        steps.add(line.strip().split(" +")[0]);
      }
    }
    return steps;
  }

  private Result cli(String user, String... args) {
    Map<String, String> env =
        Map.of(
            "UPSHIFT_URL",
            "http://127.0.0.1:" + port,
            "UPSHIFT_USER",
            user,
            "UPSHIFT_PASSWORD",
            TestUsers.password(user));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        UpshiftCli.run(
            args,
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
