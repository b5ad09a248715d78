package io.upshift.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.upshift.platform.ReleaseRepository;
import io.upshift.run.RunView;
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
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Long steps never block short ones: while one platform's backup runs for minutes (its database
 * seeded with generate_series until pg_dump takes that long), a second platform's run reaches its
 * approval, and the approval task is in the inbox within 2 s of the step before it (the restore
 * rehearsal) completing. Both runs are cancelled before their cutover; nothing is upgraded.
 *
 * <p>A benchmark, not part of the test suite (its name does not end in IT, and it takes a quarter
 * of an hour on a busy 2-core machine): bench/approval-latency.sh runs it through failsafe and
 * docs/benchmarks.md keeps its figures. It still fails when the measurement is invalid (the big
 * backup ended before the approval arrived) or the 2 s target is missed, after printing the
 * figures. The size of the seeded table is {@code -Dupshift.latency.rows} (default 1 200 000 rows,
 * about 250 MB).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/latency",
      "spring.datasource.url=jdbc:h2:mem:latency-bench;DB_CLOSE_DELAY=-1",
      TestUsers.PROFILE
    })
class ApprovalLatencyBench {

  static final long ROWS = Long.getLong("upshift.latency.rows", 1_200_000L);
  static final Duration LIMIT = Duration.ofSeconds(2);

  static Deployment big;
  static Deployment small;
  static ReleaseRepository releases;

  @Autowired TestRestTemplate rest;

  @DynamicPropertySource
  static void platforms(DynamicPropertyRegistry registry) throws Exception {
    Path bare = DemoPlatform.repository();
    Path scratch = Files.createTempDirectory("upshift-latency-bench");
    releases = ReleaseRepository.open(bare.toUri().toString(), scratch.resolve("mirror.git"));
    big = new Deployment(releases, "bigdb", scratch.resolve("bigdb")).checkout("1.0.0");
    small = new Deployment(releases, "smalldb", scratch.resolve("smalldb")).checkout("1.0.0");
    for (Deployment d : new Deployment[] {big, small}) {
      assertThat(d.bringUp()).allSatisfy((s, state) -> assertThat(state).isEqualTo("healthy"));
    }
    big.register(registry, "bigdb", bare);
    small.register(registry, "smalldb", bare);
    long started = System.nanoTime();
    try (Connection c = big.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE bulk_payload (id bigint PRIMARY KEY, payload text NOT NULL)");
      // Hex digests compress about 2:1, so pg_dump -Fc works for its time on every row.
      s.execute(
          "INSERT INTO bulk_payload SELECT g, md5(g::text) || md5((g + 1)::text) ||"
              + " md5((g + 2)::text) || md5((g + 3)::text) FROM generate_series(1, "
              + ROWS
              + ") g");
      s.execute("ANALYZE bulk_payload");
      try (ResultSet rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
        rs.next();
        System.out.printf(
            "APPROVAL-LATENCY | seeded %d rows, database %d MB, in %d s%n",
            ROWS, rs.getLong(1) / 1_000_000, (System.nanoTime() - started) / 1_000_000_000);
      }
    }
  }

  @AfterAll
  static void tearDown() {
    for (Deployment d : new Deployment[] {big, small}) {
      if (d != null) {
        d.close();
      }
    }
    if (releases != null) {
      releases.close();
    }
  }

  @Test
  void anApprovalReachesTheInboxWithinTwoSecondsWhileAnotherRunsBackupTakesMinutes() {
    TestRestTemplate operator = TestUsers.as(rest, TestUsers.OPERATOR);
    String slow = start(operator, "bigdb");
    RunView.Step backup =
        await()
            .atMost(Duration.ofMinutes(5))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> step(operator, slow, "upshift.backup.database"), Optional::isPresent)
            .orElseThrow();
    assertThat(backup.endedAt()).as("the big backup is still running").isNull();

    String fast = start(operator, "smalldb");
    ApprovalTask[] seen = new ApprovalTask[1];
    Instant observed =
        await()
            .atMost(Duration.ofMinutes(5))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> {
                  ApprovalTask[] tasks =
                      operator.getForObject("/api/approvals?runId=" + fast, ApprovalTask[].class);
                  if (tasks.length == 0) {
                    return null;
                  }
                  seen[0] = tasks[0];
                  return Instant.now();
                },
                t -> t != null);
    ApprovalTask task = seen[0];
    RunView.Step rehearsal = step(operator, fast, "upshift.backup.rehearse").orElseThrow();
    RunView.Step bigBackup = step(operator, slow, "upshift.backup.database").orElseThrow();

    Duration latency = Duration.between(rehearsal.endedAt(), task.createdAt());
    Duration seenAfter = Duration.between(rehearsal.endedAt(), observed);
    System.out.printf(
        "APPROVAL-LATENCY | rehearsal of smalldb ended %s, approval task in the inbox %s:"
            + " %d ms (seen through the API after %d ms, polling every 100 ms); bigdb backup"
            + " started %s, %s%n",
        rehearsal.endedAt(),
        task.createdAt(),
        latency.toMillis(),
        seenAfter.toMillis(),
        bigBackup.startedAt(),
        bigBackup.endedAt() == null
            ? "still running"
            : "ended " + bigBackup.endedAt() + " after " + bigBackup.durationMs() + " ms");
    // The measurement counts only while the big backup really runs.
    assertThat(bigBackup.endedAt() == null || bigBackup.endedAt().isAfter(task.createdAt()))
        .as("the bigdb backup was still running when the approval arrived")
        .isTrue();
    assertThat(latency).isLessThan(LIMIT);

    // How long the big backup took (waiting at most 10 minutes more); then both runs end before
    // their cutover.
    RunView.Step done = bigBackup;
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (done.endedAt() == null && System.nanoTime() < deadline) {
      sleep(Duration.ofSeconds(2));
      done = step(operator, slow, "upshift.backup.database").orElseThrow();
    }
    System.out.printf(
        "APPROVAL-LATENCY | bigdb backup %s%n",
        done.endedAt() == null
            ? "still running "
                + Duration.between(done.startedAt(), Instant.now()).toSeconds()
                + " s after it started"
            : done.state()
                + " after "
                + Duration.between(done.startedAt(), done.endedAt()).toSeconds()
                + " s");
    for (String run : new String[] {fast, slow}) {
      ResponseEntity<RunView> cancelled =
          operator.postForEntity(
              "/api/runs/" + run + "/cancel", Map.of("reason", "latency test done"), RunView.class);
      assertThat(cancelled.getStatusCode()).isEqualTo(HttpStatus.OK);
      assertThat(cancelled.getBody().state()).isEqualTo("cancelled");
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String start(TestRestTemplate operator, String platform) {
    ResponseEntity<RunView> started =
        operator.postForEntity(
            "/api/runs",
            Map.of(
                "runbook",
                "platform-upgrade",
                "variables",
                Map.of("platform", platform, "targetVersion", "1.1.0")),
            RunView.class);
    assertThat(started.getStatusCode()).isEqualTo(HttpStatus.CREATED);
    return started.getBody().id();
  }

  private static Optional<RunView.Step> step(
      TestRestTemplate operator, String runId, String jobType) {
    RunView run = operator.getForObject("/api/runs/" + runId, RunView.class);
    return run.steps() == null
        ? Optional.empty()
        : run.steps().stream().filter(s -> s.jobType().equals(jobType)).findFirst();
  }
}
