package io.upshift.platform;

import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.Map;

/**
 * The variables every platform step reads: the platform, the run (idempotency key) and, inside the
 * per-hop loop, the hop's target version.
 */
public record PlatformJob(String platform, String runId, String hop) {

  public static final String[] VARIABLES = {"platform", "hop"};

  public static PlatformJob of(ActivatedJob job, boolean needsHop) {
    Map<String, Object> vars = job.getVariablesAsMap();
    String platform = vars.get("platform") instanceof String s ? s : null;
    String runId = vars.get(JobSteps.RUN_ID) instanceof String s ? s : null;
    String hop = vars.get("hop") instanceof String s ? s : null;
    if (platform == null || runId == null || (needsHop && hop == null)) {
      throw new StepFailure(
          job.getType()
              + " needs the variables platform, runId"
              + (needsHop ? " and hop (the hop's target version)" : ""));
    }
    return new PlatformJob(platform, runId, hop);
  }
}
