package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.BpmnError;
import io.camunda.client.exception.JobError;
import io.upshift.engine.EngineCommands;
import io.upshift.run.JobSteps;
import jakarta.annotation.PreDestroy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.test}: runs the install and test commands of the rules (argument arrays, one
 * timeout, output kept in the run's evidence directory), reads JUnit XML or the pytest summary and
 * compares the failures with the baseline of the base version. Output {@code tests}; new failures
 * are in {@code tests.regressions}.
 *
 * <p>A fork's tests may run for hours, and the Camunda client invokes all job workers on one thread
 * by default: the commands therefore run on this worker's own threads (at most {@value #PARALLEL}
 * test runs at once) and the job is completed, failed or answered with a BPMN error from there,
 * exactly as {@link JobSteps} decided, so the other workers (the approval inbox among them) are not
 * held up meanwhile.
 */
@Component
public class ForkTestWorker {

  static final String JOB_TYPE = "upshift.fork.test";
  static final int PARALLEL = 2;
  private static final Logger log = LoggerFactory.getLogger(ForkTestWorker.class);

  private final ForkUpgrades forks;
  private final JobSteps steps;
  private final EngineCommands engine;
  private final ExecutorService runner;

  ForkTestWorker(ForkUpgrades forks, JobSteps steps, EngineCommands engine) {
    this.forks = forks;
    this.steps = steps;
    this.engine = engine;
    AtomicInteger n = new AtomicInteger();
    this.runner =
        Executors.newFixedThreadPool(
            PARALLEL,
            r -> {
              Thread t = new Thread(r, "fork-tests-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  record Output(ForkUpgrades.Tests tests) {}

  @JobWorker(type = JOB_TYPE, timeout = 13 * 60 * 60 * 1000, autoComplete = false)
  public void test(ActivatedJob job, @VariablesAsType ForkJob vars) {
    runner.execute(() -> runAndAnswer(job, vars));
  }

  private void runAndAnswer(ActivatedJob job, ForkJob vars) {
    try {
      Output out =
          steps.run(
              job,
              () ->
                  ForkJob.refusals(
                      () -> new Output(forks.test(vars.requirePreflight(), vars.rules()))),
              ForkTestWorker::summary);
      engine.completeJob(job.getKey(), out);
    } catch (BpmnError e) {
      engine.throwError(job.getKey(), e.getErrorCode(), e.getErrorMessage(), e.getVariables());
    } catch (JobError e) {
      engine.failJob(
          job.getKey(),
          e.getRetries() == null ? 0 : e.getRetries(),
          e.getRetryBackoff(),
          e.getErrorMessage());
    } catch (RuntimeException e) {
      // The engine did not take the answer; the job times out and is handed out again.
      log.warn(
          "{} {}: the engine did not take the outcome: {}", JOB_TYPE, job.getKey(), e.toString());
    }
  }

  private static String summary(Output out) {
    ForkUpgrades.Tests t = out.tests();
    return ForkJob.clip(
        t.passed()
            + " passed, "
            + t.failed()
            + " failed ("
            + t.source()
            + "); baseline "
            + t.baselineVersion()
            + (t.baselineFound() ? "" : " not recorded")
            + ": pre-existing "
            + t.preExisting()
            + ", new failures "
            + t.regressions()
            + ", fixed "
            + t.fixed()
            + "; log "
            + t.log());
  }

  @PreDestroy
  void stop() {
    runner.shutdownNow();
  }
}
