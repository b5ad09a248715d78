package io.upshift.run;

import io.camunda.client.annotation.customizer.JobWorkerValueCustomizer;
import io.camunda.client.annotation.value.JobWorkerValue;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Workers fetch only the variables they declare; every Upshift worker also needs {@code runId} so
 * {@link JobSteps} can journal the step. Adding it here keeps the workers' signatures about their
 * own inputs.
 */
@Component
class RunIdFetchCustomizer implements JobWorkerValueCustomizer {

  @Override
  public void customize(JobWorkerValue worker) {
    List<String> fetch = worker.getFetchVariables();
    if (fetch != null && !fetch.isEmpty() && !fetch.contains(JobSteps.RUN_ID)) {
      List<String> extended = new ArrayList<>(fetch);
      extended.add(JobSteps.RUN_ID);
      worker.setFetchVariables(extended);
    }
  }
}
