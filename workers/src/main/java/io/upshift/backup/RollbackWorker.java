package io.upshift.backup;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.run.JobSteps;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.backup.restore}: rolls the platform back to where the run found it (see {@link
 * RollbackService}). Outputs {@code rollback}. If the rollback itself fails, the job raises an
 * incident (no BPMN error): the platform needs a person.
 */
@Component
public class RollbackWorker {

  private final RollbackService rollback;
  private final JobSteps steps;

  RollbackWorker(RollbackService rollback, JobSteps steps) {
    this.rollback = rollback;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.backup.restore",
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform"})
  public Map<String, Object> restore(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, false);
          RollbackService.Outcome outcome = rollback.rollback(target.platform(), target.runId());
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("version", outcome.version());
          out.put("restoredFrom", outcome.restoredFrom());
          out.put("health", outcome.health());
          out.put("retaggedImages", outcome.retagged());
          return Map.<String, Object>of("rollback", out);
        },
        out -> "rolled back: " + out.get("rollback"));
  }
}
