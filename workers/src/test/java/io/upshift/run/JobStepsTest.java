package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.BpmnError;
import io.camunda.client.exception.CamundaError;
import io.camunda.client.exception.JobError;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.upshift.metrics.ApprovalBacklog;
import io.upshift.metrics.UpshiftMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every worker goes through {@link JobSteps}: each invocation is timed by job type and outcome. */
class JobStepsTest {

  private static final String TYPE = "upshift.verify.http";

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StepClock clock = new StepClock();
  // Jobs without a runId are not journaled, so no journal is needed here.
  private final JobSteps steps =
      new JobSteps(
          null, clock, new UpshiftMetrics(registry, () -> null, () -> ApprovalBacklog.NONE));
  private final ActivatedJob job = mock(ActivatedJob.class);

  JobStepsTest() {
    when(job.getType()).thenReturn(TYPE);
    when(job.getElementId()).thenReturn("CheckEndpoint");
    when(job.getKey()).thenReturn(42L);
    when(job.getRetries()).thenReturn(3);
  }

  @Test
  void completedStepsAreTimed() {
    String result =
        steps.run(
            job,
            () -> {
              clock.advance(Duration.ofMillis(1500));
              return "ok";
            },
            r -> r);

    assertThat(result).isEqualTo("ok");
    assertThat(timer("completed").count()).isEqualTo(1);
    assertThat(timer("completed").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1500);
  }

  @Test
  void bpmnErrorsAreTimedAsErrorAndRethrown() {
    Throwable thrown =
        catchThrowable(
            () ->
                steps.run(
                    job,
                    () -> {
                      clock.advance(Duration.ofSeconds(2));
                      throw CamundaError.bpmnError("HTTP_CHECK_FAILED", "unhealthy");
                    },
                    r -> "unused"));

    assertThat(thrown).isInstanceOf(BpmnError.class);
    assertThat(timer("error").totalTime(TimeUnit.SECONDS)).isEqualTo(2);
  }

  @Test
  void hopelessAndTransientFailuresAreTimedAsFailed() {
    Throwable hopeless =
        catchThrowable(
            () ->
                steps.run(
                    job,
                    () -> {
                      throw new StepFailure("url is required");
                    },
                    r -> "unused"));
    Throwable transientFailure =
        catchThrowable(
            () ->
                steps.run(
                    job,
                    () -> {
                      throw new IOException("connection reset");
                    },
                    r -> "unused"));

    assertThat(hopeless).isInstanceOf(JobError.class);
    assertThat(transientFailure).isInstanceOf(JobError.class);
    assertThat(timer("failed").count()).isEqualTo(2);
    assertThat(registry.find("upshift.step.duration").tag("outcome", "completed").timer()).isNull();
  }

  private Timer timer(String outcome) {
    return registry.get("upshift.step.duration").tags("job_type", TYPE, "outcome", outcome).timer();
  }

  /**
   * A job handed out again while its first delivery still runs (its timeout expired) waits for the
   * first to finish: the side effects never run concurrently.
   */
  @Test
  void aRedeliveredJobWaitsForTheFirstDeliveryToFinish() throws Exception {
    java.util.concurrent.atomic.AtomicInteger inside =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger overlaps =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.CountDownLatch firstInside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.Callable<String> body =
        () -> {
          if (inside.incrementAndGet() > 1) {
            overlaps.incrementAndGet();
          }
          firstInside.countDown();
          Thread.sleep(200);
          inside.decrementAndGet();
          return "done";
        };
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var first = pool.submit(() -> steps.run(job, body, r -> r));
      firstInside.await();
      var second = pool.submit(() -> steps.run(job, body, r -> r));
      assertThat(first.get()).isEqualTo("done");
      assertThat(second.get()).isEqualTo("done");
    } finally {
      pool.shutdownNow();
    }
    assertThat(overlaps.get()).isZero();
    assertThat(timer("completed").count()).isEqualTo(2);
  }
}
