package io.upshift.run;

import io.camunda.client.api.response.ActivatedJob;
import io.upshift.engine.EngineCommands;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/**
 * Keeps the deadline of a job ahead while its worker is still busy with it: a step that runs longer
 * than its job timeout (a large pg_dump, a slow migration) extends the timeout every half span, so
 * the engine never hands the same job to a second worker while the first still works on it.
 */
@Component
public class JobHeartbeat implements DisposableBean {

  private static final Logger log = LoggerFactory.getLogger(JobHeartbeat.class);
  private static final long MIN_SPAN_MILLIS = 500;

  private final ObjectProvider<EngineCommands> client;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "upshift-job-heartbeat");
            t.setDaemon(true);
            return t;
          });

  JobHeartbeat(ObjectProvider<EngineCommands> client) {
    this.client = client;
  }

  /** A heartbeat that does nothing (unit tests of steps without an engine). */
  static JobHeartbeat none() {
    return new JobHeartbeat(null);
  }

  /** Starts extending the job's timeout by its original span; close the result when done. */
  AutoCloseable keepAlive(ActivatedJob job) {
    if (client == null) {
      return () -> {};
    }
    long span = job.getDeadline() - System.currentTimeMillis();
    if (span < MIN_SPAN_MILLIS) {
      return () -> {};
    }
    long key = job.getKey();
    Duration timeout = Duration.ofMillis(span);
    ScheduledFuture<?> beat =
        timer.scheduleAtFixedRate(
            () -> {
              try {
                EngineCommands engine = client.getIfAvailable();
                if (engine != null) {
                  engine.extendJobTimeout(key, timeout);
                }
              } catch (RuntimeException e) {
                log.debug("Could not extend the timeout of job {}: {}", key, e.getMessage());
              }
            },
            span / 2,
            span / 2,
            TimeUnit.MILLISECONDS);
    return () -> beat.cancel(false);
  }

  @Override
  public void destroy() {
    timer.shutdownNow();
  }
}
