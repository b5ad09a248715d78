package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.upshift.metrics.ApprovalBacklog;
import io.upshift.metrics.UpshiftMetrics;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** The start-up marking of runs the embedded engine lost, against the real journal on H2. */
class InterruptedRunsTest {

  static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  static final Instant RESTART = Instant.parse("2026-12-01T11:00:00Z");

  final DriverManagerDataSource dataSource =
      new DriverManagerDataSource(
          "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
  final JdbcClient jdbc = JdbcClient.create(dataSource);
  final RunJournal journal;
  final PlatformLock locks = new PlatformLock(jdbc);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  InterruptedRunsTest() {
    Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    journal = new RunJournal(jdbc);
  }

  @Test
  void activeRunsBecomeInterruptedNamingTheirLastStepAndKeepTheirPlatform() {
    String upgrade = run("platform-upgrade", "demo");
    long plan = journal.stepStarted(upgrade, "PlanUpgrade", "upshift.plan.create", 1, T0);
    journal.stepEnded(plan, "completed", "plan", T0, T0.plusSeconds(1));
    long backup = journal.stepStarted(upgrade, "BackUpPlatform", "upshift.backup.database", 2, T0);
    journal.stepEnded(backup, "completed", "backup", T0, T0.plusSeconds(5));
    journal.stepStarted(upgrade, "RehearseRestore", "upshift.backup.rehearse", 3, T0);
    String fresh = run("health-check", null);
    String done = run("health-check", null);
    journal.ended(done, RunState.COMPLETED, "ok", "End", T0.plusSeconds(9));

    marker().afterSingletonsInstantiated();

    RunView interrupted = journal.find(upgrade).orElseThrow();
    assertThat(interrupted.state()).isEqualTo("interrupted");
    assertThat(interrupted.endedAt()).isEqualTo(RESTART);
    assertThat(interrupted.outcomeMessage())
        .isEqualTo(
            "Interrupted: Upshift restarted at 2026-12-01T11:00:00Z with the embedded engine,"
                + " which keeps no state, so the engine lost this run. Last completed step:"
                + " BackUpPlatform (upshift.backup.database, 2026-12-01T10:00:05Z); in progress"
                + " when Upshift stopped: RehearseRestore (upshift.backup.rehearse). An operator"
                + " decides: resume it where it stopped (its variables were kept after each"
                + " step), roll it back if its cutover changed the platform, or look at the"
                + " platform and abandon the run to release it.");
    assertThat(journal.find(fresh).orElseThrow().state()).isEqualTo("interrupted");
    assertThat(journal.find(fresh).orElseThrow().outcomeMessage())
        .contains("Last completed step: none.");
    assertThat(journal.find(done).orElseThrow().state()).isEqualTo("completed");
    assertThat(locks.holder("demo")).contains(upgrade);
    assertThat(
            registry
                .get("upshift.runs.finished")
                .tags("runbook", "platform-upgrade", "outcome", "interrupted")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(journal.activeRuns()).isZero();

    // A second start-up finds nothing more to mark; abandoning frees the platform.
    marker().afterSingletonsInstantiated();
    assertThat(journal.find(upgrade).orElseThrow().endedAt()).isEqualTo(RESTART);
    assertThat(journal.abandonInterrupted(upgrade, "abandoned")).isTrue();
    assertThat(journal.abandonInterrupted(upgrade, "again")).isFalse();
    assertThat(journal.find(upgrade).orElseThrow().state()).isEqualTo("abandoned");
    assertThat(locks.holder("demo")).isEmpty();
  }

  @Test
  void onlyTheEmbeddedEngineLosesRuns() {
    ApplicationContextRunner context =
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(PropertyPlaceholderAutoConfiguration.class))
            .withBean(RunJournal.class, () -> journal)
            .withBean(Clock.class, () -> Clock.fixed(RESTART, ZoneOffset.UTC))
            .withBean(UpshiftMetrics.class, this::metrics)
            .withUserConfiguration(InterruptedRuns.class);
    String active = run("health-check", null);

    context
        .withPropertyValues("upshift.engine.mode=remote")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(InterruptedRuns.class));
    assertThat(journal.find(active).orElseThrow().state()).isEqualTo("active");

    context.run(ctx -> assertThat(ctx).hasSingleBean(InterruptedRuns.class));
    assertThat(journal.find(active).orElseThrow().state()).isEqualTo("interrupted");
  }

  private String run(String runbook, String platform) {
    String id = UUID.randomUUID().toString();
    new TransactionTemplate(new JdbcTransactionManager(dataSource))
        .executeWithoutResult(
            tx -> {
              journal.created(id, runbook, 1, "operator", T0);
              if (platform != null) {
                locks.acquire(platform, id, T0);
              }
            });
    return id;
  }

  private InterruptedRuns marker() {
    return new InterruptedRuns(journal, Clock.fixed(RESTART, ZoneOffset.UTC), metrics());
  }

  private UpshiftMetrics metrics() {
    return new UpshiftMetrics(registry, () -> journal, () -> ApprovalBacklog.NONE);
  }
}
