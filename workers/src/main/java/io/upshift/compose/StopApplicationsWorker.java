package io.upshift.compose;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.compose.stop}: stops the platform's application services in the descriptor's stop
 * order (workloads first; the services of one stop order at once, each with its grace period;
 * compose stop, never removing volumes); the database keeps running. Meanwhile it polls the
 * platform's entry points (its {@code healthChecks}) every 100 ms.
 *
 * <p>Sets, for this hop ({@code downtimeHop}): {@code downtimeStartedAt}, when the hop's stop
 * began, and {@code userVisibleDowntimeStartedAt}, when an entry point first stopped answering (the
 * end of the stop if none did). A redelivered job of the same hop keeps the stop's first begin,
 * from the cutover log; its user-visible start is then that begin too, because the first delivery's
 * polls are lost.
 */
@Component
public class StopApplicationsWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final CutoverLog cutover;

  StopApplicationsWorker(PlatformOperations platforms, JobSteps steps, CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.steps = steps;
  }

  @SuppressWarnings("unchecked")
  @JobWorker(
      type = "upshift.compose.stop",
      timeout = 15 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> stop(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          boolean redelivered = cutover.stoppedAt(target.runId(), target.hop()).isPresent();
          // Intent first: a stop that fails half way is still undone (the old release restarted).
          cutover.record(
              target.runId(),
              target.hop(),
              CutoverLog.Action.STOP,
              platforms.installed(target.platform()).descriptor().platform().version());
          PlatformOperations.StopReport report = platforms.stopAndWatch(target.platform());
          Instant began = cutover.stoppedAt(target.runId(), target.hop()).orElse(report.began());
          Instant userVisible = redelivered ? began : report.userVisibleStart();
          List<String> stopped = report.stopped();
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("downtimeHop", target.hop());
          out.put("downtimeStartedAt", began.toString());
          out.put("userVisibleDowntimeStartedAt", userVisible.toString());
          out.put(
              "stopSeconds", Duration.between(report.began(), report.ended()).toMillis() / 1000.0);
          out.put("stopCommands", report.commands());
          out.put("stoppedServices", stopped);
          out.put("entryPointsWatched", report.entryPointsDeclared());
          return out;
        },
        out ->
            "stopped "
                + out.get("stoppedServices")
                + " in "
                + out.get("stopSeconds")
                + " s"
                + (Boolean.TRUE.equals(out.get("entryPointsWatched"))
                    ? ", entry points down "
                        + Duration.between(
                                    Instant.parse((String) out.get("downtimeStartedAt")),
                                    Instant.parse((String) out.get("userVisibleDowntimeStartedAt")))
                                .toMillis()
                            / 1000.0
                        + " s into it"
                    : ", no entry points declared")
                + " ("
                + String.join(", then ", (List<String>) out.get("stopCommands"))
                + "); stop began "
                + out.get("downtimeStartedAt"));
  }
}
