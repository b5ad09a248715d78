package io.upshift.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.upshift.metrics.UpshiftMetrics.StepOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class UpshiftMetricsTest {

  private static final Path OPERATIONS_GUIDE = Path.of("../docs/operations.md");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong incidents = new AtomicLong();
  private RunBacklog runs =
      new RunBacklog() {
        @Override
        public long activeRuns() {
          return active.get();
        }

        @Override
        public long runsWithOpenIncident() {
          return incidents.get();
        }
      };
  private ApprovalBacklog approvals = ApprovalBacklog.NONE;
  private final UpshiftMetrics metrics = new UpshiftMetrics(registry, () -> runs, () -> approvals);

  @Test
  void deployedRunbooksGetTheirRunCountersAtZeroForEveryOutcome() {
    metrics.runbooksDeployed(List.of("health-check", "platform-upgrade"));

    for (String runbook : List.of("health-check", "platform-upgrade")) {
      assertThat(counter("upshift.runs.started", "runbook", runbook)).isZero();
      for (String outcome : UpshiftMetrics.RUN_OUTCOMES) {
        assertThat(counter("upshift.runs.finished", "runbook", runbook, "outcome", outcome))
            .isZero();
      }
    }
    assertThat(registry.find("upshift.run.duration").meters())
        .as("no duration without a run")
        .isEmpty();
  }

  @Test
  void runsAreCountedAndTimedByRunbookAndOutcome() {
    metrics.runStarted("health-check");
    metrics.runStarted("health-check");
    metrics.runFinished("health-check", "completed", Duration.ofSeconds(3));
    metrics.runFinished("health-check", "failed", Duration.ofMillis(1500));

    assertThat(counter("upshift.runs.started", "runbook", "health-check")).isEqualTo(2);
    assertThat(counter("upshift.runs.finished", "runbook", "health-check", "outcome", "completed"))
        .isEqualTo(1);
    assertThat(counter("upshift.runs.finished", "runbook", "health-check", "outcome", "failed"))
        .isEqualTo(1);
    Timer failed = timer("upshift.run.duration", "runbook", "health-check", "outcome", "failed");
    assertThat(failed.count()).isEqualTo(1);
    assertThat(failed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1500);
  }

  @Test
  void stepsAreTimedByJobTypeAndOutcomeWithHistogramBuckets() {
    metrics.stepFinished("upshift.verify.http", StepOutcome.COMPLETED, Duration.ofMillis(200));
    metrics.stepFinished("upshift.verify.http", StepOutcome.COMPLETED, Duration.ofSeconds(2));
    metrics.stepFinished("upshift.verify.http", StepOutcome.ERROR, Duration.ofSeconds(1));
    metrics.stepFinished("upshift.backup.database", StepOutcome.FAILED, Duration.ofMinutes(2));

    Timer completed =
        timer("upshift.step.duration", "job_type", "upshift.verify.http", "outcome", "completed");
    assertThat(completed.count()).isEqualTo(2);
    assertThat(completed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2200);
    assertThat(
            timer("upshift.step.duration", "job_type", "upshift.verify.http", "outcome", "error")
                .count())
        .isEqualTo(1);
    assertThat(
            timer(
                    "upshift.step.duration",
                    "job_type",
                    "upshift.backup.database",
                    "outcome",
                    "failed")
                .count())
        .isEqualTo(1);
    CountAtBucket[] buckets = completed.takeSnapshot().histogramCounts();
    assertThat(buckets).isNotEmpty();
    assertThat(countUpTo(buckets, 0.5)).as("steps within 500 ms").isEqualTo(1);
    assertThat(countUpTo(buckets, 5)).as("steps within 5 s").isEqualTo(2);
  }

  @Test
  void runGaugesReadTheJournalAtEveryScrape() {
    assertThat(gauge("upshift.runs.active")).isZero();
    assertThat(gauge("upshift.runs.open.incidents")).isZero();

    active.set(3);
    incidents.set(1);

    assertThat(gauge("upshift.runs.active")).isEqualTo(3);
    assertThat(gauge("upshift.runs.open.incidents")).isEqualTo(1);
  }

  @Test
  void runGaugesAreUnknownWithoutAJournal() {
    runs = null;

    assertThat(gauge("upshift.runs.active")).isNaN();
    assertThat(gauge("upshift.runs.open.incidents")).isNaN();
  }

  @Test
  void approvalGaugesExistAtZeroBeforeThereIsAnInboxAndFollowIt() {
    assertThat(gauge("upshift.approvals.waiting")).isZero();
    assertThat(gauge("upshift.approvals.overdue")).isZero();
    assertThat(registry.get("upshift.approvals.oldest.wait").timeGauge().value(TimeUnit.SECONDS))
        .isZero();

    approvals =
        new ApprovalBacklog() {
          @Override
          public long waiting() {
            return 4;
          }

          @Override
          public long overdue() {
            return 1;
          }

          @Override
          public Duration oldestWait() {
            return Duration.ofMinutes(90);
          }
        };

    assertThat(gauge("upshift.approvals.waiting")).isEqualTo(4);
    assertThat(gauge("upshift.approvals.overdue")).isEqualTo(1);
    assertThat(registry.get("upshift.approvals.oldest.wait").timeGauge().value(TimeUnit.SECONDS))
        .isCloseTo(5400, within(0.001));
  }

  @Test
  void approvalDecisionsAreTimedAndExpiriesCounted() {
    metrics.approvalGranted("platform-upgrade", Duration.ofMinutes(10));
    metrics.approvalRejected("platform-upgrade", Duration.ofMinutes(20));
    metrics.approvalExpired("platform-upgrade", Duration.ofHours(24));

    for (String decision : List.of("approved", "rejected", "expired")) {
      assertThat(
              timer("upshift.approval.wait", "runbook", "platform-upgrade", "decision", decision)
                  .count())
          .as(decision)
          .isEqualTo(1);
    }
    assertThat(
            timer("upshift.approval.wait", "runbook", "platform-upgrade", "decision", "expired")
                .totalTime(TimeUnit.HOURS))
        .isEqualTo(24);
    assertThat(counter("upshift.approvals.expired", "runbook", "platform-upgrade")).isEqualTo(1);
  }

  @Test
  void platformDowntimeAndRollbacksArePerPlatform() {
    metrics.platformDowntime("shop", Duration.ofSeconds(95));
    metrics.platformDowntime("shop", Duration.ofSeconds(45));
    metrics.rollbackPerformed("shop");

    Timer downtime = timer("upshift.platform.downtime", "platform", "shop");
    assertThat(downtime.count()).isEqualTo(2);
    assertThat(downtime.totalTime(TimeUnit.SECONDS)).isEqualTo(140);
    assertThat(downtime.max(TimeUnit.SECONDS)).isEqualTo(95);
    assertThat(counter("upshift.platform.rollbacks", "platform", "shop")).isEqualTo(1);
    assertThat(registry.find("upshift.platform.rollbacks").tag("platform", "wiki").counter())
        .isNull();
  }

  @Test
  void backupsRecordSizeInBytesAndDurationPerPlatformAndKind() {
    metrics.backupTaken("shop", "database", 5_000_000, Duration.ofSeconds(12));
    metrics.backupTaken("shop", "database", 7_000_000, Duration.ofSeconds(18));
    metrics.backupTaken("shop", "volume", 1_000, Duration.ofSeconds(1));

    DistributionSummary size =
        registry.get("upshift.backup.size").tags("platform", "shop", "kind", "database").summary();
    assertThat(size.getId().getBaseUnit()).isEqualTo("bytes");
    assertThat(size.count()).isEqualTo(2);
    assertThat(size.totalAmount()).isEqualTo(12_000_000);
    assertThat(size.max()).isEqualTo(7_000_000);
    assertThat(
            timer("upshift.backup.duration", "platform", "shop", "kind", "database")
                .totalTime(TimeUnit.SECONDS))
        .isEqualTo(30);
    assertThat(timer("upshift.backup.duration", "platform", "shop", "kind", "volume").count())
        .isEqualTo(1);
  }

  @Test
  void restoreRehearsalsAreTimedByOutcome() {
    metrics.restoreRehearsed("shop", true, Duration.ofMinutes(4));
    metrics.restoreRehearsed("shop", false, Duration.ofMinutes(1));

    assertThat(
            timer("upshift.restore.rehearsal.duration", "platform", "shop", "outcome", "passed")
                .totalTime(TimeUnit.MINUTES))
        .isEqualTo(4);
    assertThat(
            timer("upshift.restore.rehearsal.duration", "platform", "shop", "outcome", "failed")
                .count())
        .isEqualTo(1);
  }

  @Test
  void notificationsAreCountedPerEventAndWebhookFromZero() {
    metrics.notificationsConfigured("ops-chat", List.of("run.failed", "run.rolled-back"));

    assertThat(
            counter(
                "upshift.notifications",
                "event",
                "run.failed",
                "webhook",
                "ops-chat",
                "outcome",
                "failed"))
        .as("registered at zero")
        .isZero();
    assertThat(
            registry
                .find("upshift.notifications")
                .tags("event", "run.rolled-back", "webhook", "ops-chat")
                .counters())
        .hasSize(2);

    metrics.notificationSent("run.failed", "ops-chat", true);
    metrics.notificationSent("run.failed", "ops-chat", true);
    metrics.notificationSent("run.failed", "ops-chat", false);

    assertThat(
            counter(
                "upshift.notifications",
                "event",
                "run.failed",
                "webhook",
                "ops-chat",
                "outcome",
                "delivered"))
        .isEqualTo(2);
    assertThat(
            counter(
                "upshift.notifications",
                "event",
                "run.failed",
                "webhook",
                "ops-chat",
                "outcome",
                "failed"))
        .isEqualTo(1);
  }

  @Test
  void negativeDurationsFromClockSkewAreIgnored() {
    metrics.runFinished("health-check", "completed", Duration.ofSeconds(-1));

    assertThat(
            timer("upshift.run.duration", "runbook", "health-check", "outcome", "completed")
                .count())
        .isZero();
    assertThat(counter("upshift.runs.finished", "runbook", "health-check", "outcome", "completed"))
        .isEqualTo(1);
  }

  @Test
  void everyMeterHasOnlyTheDocumentedLowCardinalityTags() {
    List<PrometheusScrape.Sample> upshift =
        MeterCatalog.scrape().samples().stream()
            .filter(s -> s.name().startsWith("upshift_"))
            .toList();

    assertThat(upshift).isNotEmpty();
    for (PrometheusScrape.Sample sample : upshift) {
      assertThat(sample.labels().keySet())
          .as(sample.name())
          .isSubsetOf(
              "runbook",
              "outcome",
              "job_type",
              "decision",
              "platform",
              "kind",
              "event",
              "webhook",
              "le");
    }
  }

  @Test
  void everyMeterIsDocumentedInTheOperationsGuide() throws IOException {
    String guide = Files.readString(OPERATIONS_GUIDE);

    assertThat(MeterCatalog.upshiftFamilies())
        .isNotEmpty()
        .allSatisfy(
            name ->
                assertThat(guide)
                    .as("%s must be documented in %s", name, OPERATIONS_GUIDE)
                    .contains("`" + name + "`"));
  }

  @Test
  void everyRunOutcomeIsDocumentedInTheOperationsGuide() throws IOException {
    String outcomes =
        Files.readString(OPERATIONS_GUIDE)
            .lines()
            .filter(line -> line.startsWith("| `outcome` |"))
            .findFirst()
            .orElseThrow();

    assertThat(UpshiftMetrics.RUN_OUTCOMES)
        .allSatisfy(outcome -> assertThat(outcomes).contains("`" + outcome + "`"));
  }

  private double counter(String name, String... tags) {
    Counter counter = registry.get(name).tags(tags).counter();
    return counter.count();
  }

  private Timer timer(String name, String... tags) {
    return registry.get(name).tags(tags).timer();
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  private static double countUpTo(CountAtBucket[] buckets, double seconds) {
    for (CountAtBucket bucket : buckets) {
      if (bucket.bucket(TimeUnit.SECONDS) == seconds) {
        return bucket.count();
      }
    }
    throw new AssertionError("no bucket at " + seconds + " s");
  }
}
