package io.upshift.compose;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.compose.stop}: stops the platform's application services in the descriptor's stop
 * order (workloads first; compose stop, never removing volumes); the database keeps running. Sets
 * {@code downtimeStartedAt} the first time (later hops keep it).
 */
@Component
public class StopApplicationsWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final Clock clock;
  private final CutoverLog cutover;

  StopApplicationsWorker(
      PlatformOperations platforms, JobSteps steps, Clock clock, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
    this.clock = clock;
  }

  @JobWorker(
      type = "upshift.compose.stop",
      timeout = 15 * 60 * 1000,
      fetchVariables = {"platform", "hop", "downtimeStartedAt"})
  public Map<String, Object> stop(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          // Intent first: a stop that fails half way is still undone (the old release restarted).
          cutover.record(
              target.runId(),
              target.hop(),
              CutoverLog.Action.STOP,
              platforms.installed(target.platform()).descriptor().platform().version());
          List<String> stopped = platforms.stopApplications(target.platform());
          Map<String, Object> out = new LinkedHashMap<>();
          Object started = job.getVariablesAsMap().get("downtimeStartedAt");
          out.put("downtimeStartedAt", started != null ? started : clock.instant().toString());
          out.put("stoppedServices", stopped);
          return out;
        },
        out ->
            "stopped "
                + out.get("stoppedServices")
                + "; downtime since "
                + out.get("downtimeStartedAt"));
  }
}
