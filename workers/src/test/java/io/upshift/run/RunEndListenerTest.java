package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.camunda.client.api.response.ActivatedJob;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.upshift.metrics.ApprovalBacklog;
import io.upshift.metrics.UpshiftMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The end listener counts each run once, with the duration the journal recorded. */
class RunEndListenerTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StepClock clock = new StepClock();
  private final RunJournal journal = journal();
  private final List<Object> published = new ArrayList<>();
  private final RunEndListener listener =
      new RunEndListener(
          journal,
          clock,
          published::add,
          new UpshiftMetrics(registry, () -> journal, () -> ApprovalBacklog.NONE));
  private final ActivatedJob job = mock(ActivatedJob.class);

  RunEndListenerTest() {
    when(job.getElementId()).thenReturn("EndpointUnhealthy");
  }

  @Test
  void aRedeliveredEndListenerJobCountsTheRunOnce() {
    String runId = UUID.randomUUID().toString();
    journal.created(runId, "health-check", 1, "ops", clock.instant());
    assertThat(gauge("upshift.runs.active")).isEqualTo(1);
    clock.advance(Duration.ofSeconds(90));

    listener.runEnded(job, runId, "failed", "unhealthy: GET http://app/health answered 503");
    listener.runEnded(job, runId, "failed", "unhealthy: GET http://app/health answered 503");

    assertThat(
            registry
                .get("upshift.runs.finished")
                .tags("runbook", "health-check", "outcome", "failed")
                .counter()
                .count())
        .isEqualTo(1);
    Timer duration =
        registry
            .get("upshift.run.duration")
            .tags("runbook", "health-check", "outcome", "failed")
            .timer();
    assertThat(duration.count()).isEqualTo(1);
    assertThat(duration.totalTime(TimeUnit.SECONDS)).isEqualTo(90);
    assertThat(gauge("upshift.runs.active")).isZero();
    assertThat(published)
        .as("only the report that ended the run is the first")
        .extracting(e -> ((RunEnded) e).firstReport())
        .containsExactly(true, false);
  }

  @Test
  void openIncidentsCountUntilTheRunEnds() {
    String runId = UUID.randomUUID().toString();
    journal.created(runId, "health-check", 1, "ops", clock.instant());
    journal.incident(runId, "CheckEndpoint: url is required");

    assertThat(gauge("upshift.runs.open.incidents")).isEqualTo(1);

    listener.runEnded(job, runId, null, null);

    assertThat(gauge("upshift.runs.open.incidents")).isZero();
    assertThat(
            registry
                .get("upshift.runs.finished")
                .tags("runbook", "health-check", "outcome", "completed")
                .counter()
                .count())
        .isEqualTo(1);
  }

  @Test
  void everyWayARunCanEndIsAnOutcomeTheMetricsKnow() {
    for (RunState state : RunState.values()) {
      if (state.ending()) {
        assertThat(UpshiftMetrics.RUN_OUTCOMES).contains(state.metricTag());
      }
    }
  }

  private double gauge(String name) {
    return registry.get(name).gauge().value();
  }

  private static RunJournal journal() {
    var dataSource =
        new DriverManagerDataSource(
            "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
    Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
    return new RunJournal(JdbcClient.create(dataSource));
  }
}
