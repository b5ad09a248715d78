package io.upshift.fork;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.annotation.VariablesAsType;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.fork.test}: runs the install and test commands of the rules (argument arrays, one
 * timeout, output kept in the run's evidence directory), reads JUnit XML or the pytest summary and
 * compares the failures with the baseline of the base version. Output {@code tests}; new failures
 * are in {@code tests.regressions}.
 */
@Component
public class ForkTestWorker {

  static final String JOB_TYPE = "upshift.fork.test";

  private final ForkUpgrades forks;
  private final JobSteps steps;

  ForkTestWorker(ForkUpgrades forks, JobSteps steps) {
    this.forks = forks;
    this.steps = steps;
  }

  record Output(ForkUpgrades.Tests tests) {}

  @JobWorker(type = JOB_TYPE, timeout = 13 * 60 * 60 * 1000)
  public Output test(ActivatedJob job, @VariablesAsType ForkJob vars) {
    return steps.run(
        job,
        () -> ForkJob.refusals(() -> new Output(forks.test(vars.requirePreflight(), vars.rules()))),
        out ->
            ForkJob.clip(
                out.tests().passed()
                    + " passed, "
                    + out.tests().failed()
                    + " failed ("
                    + out.tests().source()
                    + "); baseline "
                    + out.tests().baselineVersion()
                    + (out.tests().baselineFound() ? "" : " not recorded")
                    + ": pre-existing "
                    + out.tests().preExisting()
                    + ", new failures "
                    + out.tests().regressions()
                    + ", fixed "
                    + out.tests().fixed()
                    + "; log "
                    + out.tests().log()));
  }
}
