package io.upshift.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.stereotype.Component;

/**
 * Upshift's own meters, exposed with the Camunda client's at {@code /actuator/prometheus} (names
 * and alerts: docs/operations.md). Tags are low-cardinality only: {@code runbook} (a deployed
 * process id), {@code job_type}, {@code outcome}, {@code decision}, {@code platform} (a configured
 * platform), {@code kind}, {@code event} (a notification event name), {@code webhook} (a configured
 * webhook); never run ids or anything else a caller can invent.
 *
 * <p>Timers and distribution summaries publish fixed histogram buckets so that dashboards can
 * compute quantiles across instances. Gauges read their sources ({@link RunBacklog}, {@link
 * ApprovalBacklog}) at every scrape.
 */
@Component
public class UpshiftMetrics {

  /**
   * Values of the {@code outcome} tag of the run meters: how a run can end. The run end listener
   * passes the run's journal state, a cancel {@code cancelled}, the start-up marking of runs the
   * embedded engine lost {@code interrupted}; {@link #runbooksDeployed} registers every one at
   * zero.
   */
  public static final List<String> RUN_OUTCOMES =
      List.of(
          "completed", "failed", "rolled_back", "rejected", "expired", "cancelled", "interrupted");

  /** How a worker invocation ended; the {@code outcome} tag of {@code upshift.step.duration}. */
  public enum StepOutcome {
    /** The worker returned its outputs. */
    COMPLETED,
    /** The worker threw a BPMN error: an expected business outcome the model catches. */
    ERROR,
    /** The job failed: retried later, or an incident when no retries are left. */
    FAILED;

    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Duration[] STEP_BUCKETS =
      durations("100ms", "500ms", "1s", "5s", "15s", "1m", "5m", "15m", "1h");
  private static final Duration[] RUN_BUCKETS =
      durations("1s", "10s", "1m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "24h");
  private static final Duration[] APPROVAL_BUCKETS =
      durations("1m", "5m", "15m", "1h", "4h", "8h", "24h", "72h", "168h");
  private static final Duration[] DOWNTIME_BUCKETS =
      durations("10s", "30s", "1m", "2m", "5m", "10m", "30m", "1h", "2h");
  private static final Duration[] LONG_TASK_BUCKETS =
      durations("1s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "4h");
  private static final double[] SIZE_BUCKETS = {
    1 << 20, 10 << 20, 100 << 20, 1L << 30, 10L << 30, 100L << 30, 1L << 40
  };

  private final MeterRegistry registry;

  @Autowired
  public UpshiftMetrics(
      MeterRegistry registry,
      ObjectProvider<RunBacklog> runs,
      ObjectProvider<ApprovalBacklog> approvals) {
    this(
        registry, runs::getIfAvailable, () -> approvals.getIfAvailable(() -> ApprovalBacklog.NONE));
  }

  /**
   * Registers the gauges eagerly, so dashboards and alerts have series from the start.
   *
   * @param runs the run journal; when it yields null the run gauges are NaN (unknown)
   * @param approvals the approvals inbox, or {@link ApprovalBacklog#NONE}
   */
  public UpshiftMetrics(
      MeterRegistry registry, Supplier<RunBacklog> runs, Supplier<ApprovalBacklog> approvals) {
    this.registry = registry;
    Gauge.builder("upshift.runs.active", () -> count(runs, RunBacklog::activeRuns))
        .description("Runs started and not yet ended, from the run journal")
        .register(registry);
    Gauge.builder(
            "upshift.runs.open.incidents", () -> count(runs, RunBacklog::runsWithOpenIncident))
        .description("Active runs with an open incident (a job out of retries), from the journal")
        .register(registry);
    Gauge.builder("upshift.approvals.waiting", () -> approvals.get().waiting())
        .description("Approval tasks waiting for a decision")
        .register(registry);
    Gauge.builder("upshift.approvals.overdue", () -> approvals.get().overdue())
        .description("Waiting approval tasks past their due time")
        .register(registry);
    TimeGauge.builder(
            "upshift.approvals.oldest.wait",
            approvals,
            TimeUnit.MILLISECONDS,
            source -> source.get().oldestWait().toMillis())
        .description("How long the oldest waiting approval task has waited; 0 when none")
        .strongReference(true)
        .register(registry);
  }

  /**
   * The runbooks the engine accepted at start-up: registers their run counters at zero (every
   * outcome), so that an alert on the first failure of a runbook sees the counter go up.
   */
  public void runbooksDeployed(Collection<String> runbooks) {
    for (String runbook : runbooks) {
      runsStarted(runbook);
      RUN_OUTCOMES.forEach(outcome -> runsFinished(runbook, outcome));
    }
  }

  /** The engine accepted a run of {@code runbook}. */
  public void runStarted(String runbook) {
    runsStarted(runbook).increment();
  }

  /**
   * A run reached an end event.
   *
   * @param outcome one of {@link #RUN_OUTCOMES}
   * @param took from the start request to the end event
   */
  public void runFinished(String runbook, String outcome, Duration took) {
    runsFinished(runbook, outcome).increment();
    Timer.builder("upshift.run.duration")
        .description("Run duration from start to end event, by runbook and outcome")
        .tags("runbook", runbook, "outcome", outcome)
        .serviceLevelObjectives(RUN_BUCKETS)
        .register(registry)
        .record(took);
  }

  /**
   * A run of {@code runbook} was lost with the embedded engine's state in a restart. Counted in
   * {@code upshift.runs.finished} only: when it really stopped is unknown, so no duration.
   */
  public void runInterrupted(String runbook) {
    runsFinished(runbook, "interrupted").increment();
  }

  /** One worker invocation of {@code jobType} ended (every worker goes through the job steps). */
  public void stepFinished(String jobType, StepOutcome outcome, Duration took) {
    Timer.builder("upshift.step.duration")
        .description("Worker invocation duration, by job type and outcome")
        .tags("job_type", jobType, "outcome", outcome.tag())
        .serviceLevelObjectives(STEP_BUCKETS)
        .register(registry)
        .record(took);
  }

  /** An approver approved a task of {@code runbook} after it waited {@code waited}. */
  public void approvalGranted(String runbook, Duration waited) {
    approvalDecided(runbook, "approved", waited);
  }

  /** An approver rejected a task of {@code runbook} after it waited {@code waited}. */
  public void approvalRejected(String runbook, Duration waited) {
    approvalDecided(runbook, "rejected", waited);
  }

  /** Nobody decided a task of {@code runbook} before it expired, after {@code waited}. */
  public void approvalExpired(String runbook, Duration waited) {
    approvalDecided(runbook, "expired", waited);
    Counter.builder("upshift.approvals.expired")
        .description("Approval tasks that expired without a decision")
        .tags("runbook", runbook)
        .register(registry)
        .increment();
  }

  /**
   * An upgrade of {@code platform} was down for its users for {@code downtime}: from an entry point
   * first not answering until all answered again, summed over the upgrade's hops.
   */
  public void platformDowntime(String platform, Duration downtime) {
    Timer.builder("upshift.platform.downtime")
        .description(
            "Platform downtime per upgrade as users saw it (entry points not answering), summed over hops")
        .tags("platform", platform)
        .serviceLevelObjectives(DOWNTIME_BUCKETS)
        .register(registry)
        .record(downtime);
  }

  /** An upgrade of {@code platform} was rolled back to its previous release. */
  public void rollbackPerformed(String platform) {
    Counter.builder("upshift.platform.rollbacks")
        .description("Upgrades rolled back to the previous release")
        .tags("platform", platform)
        .register(registry)
        .increment();
  }

  /**
   * A verified backup of {@code platform} was taken.
   *
   * @param kind what was backed up: {@code database}, {@code volume}, {@code config} or {@code
   *     images}
   */
  public void backupTaken(String platform, String kind, long bytes, Duration took) {
    DistributionSummary.builder("upshift.backup.size")
        .description("Size of each backup")
        .baseUnit("bytes")
        .tags("platform", platform, "kind", kind)
        .serviceLevelObjectives(SIZE_BUCKETS)
        .register(registry)
        .record(bytes);
    Timer.builder("upshift.backup.duration")
        .description("Time to take and verify each backup")
        .tags("platform", platform, "kind", kind)
        .serviceLevelObjectives(LONG_TASK_BUCKETS)
        .register(registry)
        .record(took);
  }

  /**
   * A restore rehearsal of {@code platform} (restore into a scratch database, compare, rehearse the
   * migrations) ended; {@code passed} is false when it found a problem.
   */
  public void restoreRehearsed(String platform, boolean passed, Duration took) {
    Timer.builder("upshift.restore.rehearsal.duration")
        .description("Restore rehearsal duration, by platform and outcome")
        .tags("platform", platform, "outcome", passed ? "passed" : "failed")
        .serviceLevelObjectives(LONG_TASK_BUCKETS)
        .register(registry)
        .record(took);
  }

  /**
   * A webhook subscribes to {@code events}: registers its notification counters at zero (both
   * outcomes), so that an alert on the first failed delivery sees the counter go up.
   */
  public void notificationsConfigured(String webhook, Collection<String> events) {
    for (String event : events) {
      notifications(event, webhook, true);
      notifications(event, webhook, false);
    }
  }

  /**
   * A notification of {@code event} to {@code webhook} was delivered, or ({@code delivered} false)
   * given up on after its retries.
   */
  public void notificationSent(String event, String webhook, boolean delivered) {
    notifications(event, webhook, delivered).increment();
  }

  private Counter notifications(String event, String webhook, boolean delivered) {
    return Counter.builder("upshift.notifications")
        .description("Webhook notifications, by event, webhook and outcome (delivered or failed)")
        .tags("event", event, "webhook", webhook, "outcome", delivered ? "delivered" : "failed")
        .register(registry);
  }

  private void approvalDecided(String runbook, String decision, Duration waited) {
    Timer.builder("upshift.approval.wait")
        .description("How long approval tasks waited for a decision, by runbook and decision")
        .tags("runbook", runbook, "decision", decision)
        .serviceLevelObjectives(APPROVAL_BUCKETS)
        .register(registry)
        .record(waited);
  }

  private Counter runsStarted(String runbook) {
    return Counter.builder("upshift.runs.started")
        .description("Runs the engine accepted, by runbook")
        .tags("runbook", runbook)
        .register(registry);
  }

  private Counter runsFinished(String runbook, String outcome) {
    return Counter.builder("upshift.runs.finished")
        .description("Runs that reached an end event, by runbook and outcome")
        .tags("runbook", runbook, "outcome", outcome)
        .register(registry);
  }

  private static double count(Supplier<RunBacklog> runs, ToLongFunction<RunBacklog> what) {
    RunBacklog backlog = runs.get();
    return backlog == null ? Double.NaN : what.applyAsLong(backlog);
  }

  private static Duration[] durations(String... values) {
    Duration[] result = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = DurationStyle.SIMPLE.parse(values[i]);
    }
    return result;
  }
}
