package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Run starts (a transaction that keeps the new run's checkpoint) and steps (which keep theirs)
 * racing on a pool smaller than the number of threads, as 100 concurrent starts do on the service's
 * pool of 10. A lock in the checkpoint service taken after a connection by the starts and before
 * one by the steps deadlocked the pool until its timeout: every start failed after 30 s.
 */
class RunCheckpointsConcurrencyTest {

  final HikariDataSource dataSource = pool();
  final JdbcClient jdbc = JdbcClient.create(dataSource);
  final TransactionTemplate transactions =
      new TransactionTemplate(new DataSourceTransactionManager(dataSource));
  final RunJournal journal = new RunJournal(jdbc);
  final RunCheckpoints checkpoints =
      new RunCheckpoints(jdbc, new ObjectMapper(), Clock.systemUTC(), transactions);

  private static HikariDataSource pool() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    config.setUsername("sa");
    config.setMaximumPoolSize(2);
    // Short, so a deadlock fails the test in seconds instead of hanging it.
    config.setConnectionTimeout(5_000);
    HikariDataSource dataSource = new HikariDataSource(config);
    Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    return dataSource;
  }

  @AfterEach
  void close() {
    dataSource.close();
  }

  @Test
  void startsAndStepsRacingOnASmallPoolAllGetThrough() throws Exception {
    String running = start();
    List<Future<?>> work = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(16)) {
      for (int i = 0; i < 40; i++) {
        long key = 1000 + i;
        work.add(threads.submit(this::start));
        work.add(
            threads.submit(
                () -> {
                  checkpoints.reached(running, "CheckEndpoint", key);
                  checkpoints.completed(running, key, Map.of(), Map.of("check" + key, "ok"));
                }));
      }
      for (Future<?> each : work) {
        each.get(60, TimeUnit.SECONDS); // an exception here names what failed
      }
    }
    assertThat(jdbc.sql("SELECT count(*) FROM run_checkpoint").query(Long.class).single())
        .isEqualTo(41);
    // The merges of one run follow one another: no step's outputs are lost.
    assertThat(checkpoints.find(running).orElseThrow().variables())
        .hasSize(41)
        .containsKeys("check1000", "check1039");
    assertThat(checkpoints.find(running).orElseThrow().positionKey()).isEqualTo(1039);
  }

  private String start() {
    String runId = UUID.randomUUID().toString();
    transactions.executeWithoutResult(
        tx -> {
          journal.created(runId, "health-check", 1, "op", Instant.now());
          checkpoints.started(runId, null, Map.of("runId", runId));
        });
    return runId;
  }
}
