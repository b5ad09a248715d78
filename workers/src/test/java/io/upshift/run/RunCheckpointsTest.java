package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The rule of a run's kept position: it only moves forward, by job key, whatever order the writes
 * arrive in; against the real table on H2.
 */
class RunCheckpointsTest {

  static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

  final DriverManagerDataSource dataSource =
      new DriverManagerDataSource(
          "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
  final JdbcClient jdbc = JdbcClient.create(dataSource);
  final RunJournal journal;
  final RunCheckpoints checkpoints;
  final String runId = UUID.randomUUID().toString();

  RunCheckpointsTest() {
    Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    journal = new RunJournal(jdbc);
    checkpoints =
        new RunCheckpoints(
            jdbc,
            new ObjectMapper(),
            Clock.fixed(T0, ZoneOffset.UTC),
            new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
    journal.created(runId, "platform-upgrade", 1, "op", T0);
    checkpoints.started(runId, null, Map.of("runId", runId, "platform", "demo"));
  }

  @Test
  void thePositionFollowsTheStepsInOrder() {
    assertThat(checkpoints.reached(runId, "BackUpPlatform", 10)).isTrue();
    checkpoints.completed(runId, 10, Map.of("platform", "demo"), Map.of("backupId", "b1"));
    assertThat(checkpoints.reached(runId, "RehearseRestore", 20)).isTrue();
    checkpoints.completed(runId, 20, Map.of(), Map.of("rehearsal", "ok"));
    assertThat(checkpoints.reached(runId, "ApproveMaintenanceWindow", 30)).isTrue();

    RunCheckpoints.Checkpoint kept = checkpoints.find(runId).orElseThrow();
    assertThat(kept.elementId()).isEqualTo("ApproveMaintenanceWindow");
    assertThat(kept.positionKey()).isEqualTo(30);
    assertThat(kept.variables())
        .containsEntry("backupId", "b1")
        .containsEntry("rehearsal", "ok")
        .containsEntry("platform", "demo");
  }

  @Test
  void aStepDeliveredAgainAfterLaterStepsStartedDoesNotMoveThePositionBack() {
    checkpoints.reached(runId, "CheckoutRelease", 40);
    checkpoints.completed(runId, 40, Map.of("hop", "1.1.0"), Map.of("checkedOut", "1.1.0"));
    checkpoints.reached(runId, "MigrateConfig", 50);
    checkpoints.completed(runId, 50, Map.of(), Map.of("config", "migrated"));
    checkpoints.reached(runId, "ApplyMigrations", 60);

    // CheckoutRelease's job (key 40) handed out again after its timeout, or its late writes.
    assertThat(checkpoints.reached(runId, "CheckoutRelease", 40)).isFalse();
    checkpoints.completed(
        runId, 40, Map.of("hop", "1.1.0", "config", "stale"), Map.of("checkedOut", "1.1.0"));

    RunCheckpoints.Checkpoint kept = checkpoints.find(runId).orElseThrow();
    assertThat(kept.elementId()).isEqualTo("ApplyMigrations");
    assertThat(kept.positionKey()).isEqualTo(60);
    // Its inputs were read before MigrateConfig wrote: they do not overwrite newer values.
    assertThat(kept.variables())
        .containsEntry("config", "migrated")
        .containsEntry("checkedOut", "1.1.0");
  }

  @Test
  void writesArrivingOutOfOrderEndAtTheFurthestStep() {
    // The user task's job was created after RehearseRestore completed; its write lands first.
    assertThat(checkpoints.reached(runId, "ApproveMaintenanceWindow", 30)).isTrue();
    assertThat(checkpoints.reached(runId, "RehearseRestore", 20)).isFalse();
    checkpoints.completed(runId, 20, Map.of("platform", "demo"), Map.of("rehearsal", "ok"));

    RunCheckpoints.Checkpoint kept = checkpoints.find(runId).orElseThrow();
    assertThat(kept.elementId()).isEqualTo("ApproveMaintenanceWindow");
    assertThat(kept.variables()).containsEntry("rehearsal", "ok");
  }

  @Test
  void theSameJobAgainKeepsItsPositionAndARestartOnANewInstanceStartsTheKeysAgain() {
    checkpoints.reached(runId, "ApplyMigrations", 60);
    assertThat(checkpoints.reached(runId, "ApplyMigrations", 60)).isTrue();

    // Resumed on a new engine instance, whose keys start low again.
    checkpoints.started(runId, "Cutover", checkpoints.find(runId).orElseThrow().variables());
    assertThat(checkpoints.find(runId).orElseThrow().positionKey()).isNull();
    assertThat(checkpoints.reached(runId, "PullImages", 7)).isTrue();
    assertThat(checkpoints.find(runId).orElseThrow().elementId()).isEqualTo("PullImages");
  }

  @Test
  void aRunWithoutAKeptRowGetsOneAtItsFirstPosition() {
    String other = UUID.randomUUID().toString();
    journal.created(other, "health-check", 1, "op", T0);
    assertThat(checkpoints.reached(other, "Check", 3)).isTrue();
    assertThat(checkpoints.find(other).orElseThrow().positionKey()).isEqualTo(3);
  }
}
