package io.upshift.compose;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.metrics.UpshiftMetrics;
import io.upshift.platform.PlatformHooks;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.compose.up}: runs the release's {@code afterMigrations} hooks, starts its services
 * (by its start stages, else all at once, dependencies first) and waits until each is started by
 * its rule (health URL, log line, running N s, Docker healthcheck; running 5 s for a service
 * without one), then runs its {@code afterStart} hooks ({@link PlatformHooks}; output {@code
 * hooks}). Sets {@code downtimeEndedAt} and {@code downtimeSeconds}. A service that stays unhealthy
 * is a hopeless failure naming it, with the end of its log.
 */
@Component
public class StartPlatformWorker {

  private final PlatformOperations platforms;
  private final JobSteps steps;
  private final Clock clock;
  private final UpshiftMetrics metrics;
  private final CutoverLog cutover;
  private final PlatformHooks hooks;

  StartPlatformWorker(
      PlatformOperations platforms,
      JobSteps steps,
      Clock clock,
      UpshiftMetrics metrics,
      CutoverLog cutover,
      PlatformHooks hooks) {
    this.hooks = hooks;
    this.cutover = cutover;
    this.metrics = metrics;
    this.platforms = platforms;
    this.steps = steps;
    this.clock = clock;
  }

  @JobWorker(
      type = "upshift.compose.up",
      timeout = 20 * 60 * 1000,
      fetchVariables = {"platform", "downtimeStartedAt", "hop", "targetVersion", "plan"})
  public Map<String, Object> start(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          cutover.record(target.runId(), target.hop(), CutoverLog.Action.START, null);
          String previous =
              PlatformHooks.previousVersion(
                  job.getVariablesAsMap().get("plan"),
                  target.hop(),
                  platforms.registration(target.platform()));
          List<PlatformHooks.HookResult> ran =
              new ArrayList<>(hooks.run(target.platform(), "afterMigrations", previous));
          Map<String, String> health = platforms.startAndAwaitHealthy(target.platform());
          Map<String, String> unhealthy =
              health.entrySet().stream()
                  .filter(e -> !PlatformOperations.isStarted(e.getValue()))
                  .collect(
                      Collectors.toMap(
                          Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
          if (!unhealthy.isEmpty()) {
            Map<String, String> logs = platforms.logs(target.platform(), 15);
            String tails =
                unhealthy.keySet().stream()
                    .map(
                        s ->
                            s
                                + " log: "
                                + logs.getOrDefault(s, "").strip().replaceAll("\\s*\\n\\s*", " | "))
                    .collect(Collectors.joining("; "));
            throw new StepFailure("Services not healthy after start: " + unhealthy + ". " + tails);
          }
          ran.addAll(hooks.run(target.platform(), "afterStart", previous));
          Instant now = clock.instant();
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("serviceHealth", health);
          if (!ran.isEmpty()) {
            out.put("hooks", ran);
          }
          out.put("downtimeEndedAt", now.toString());
          Object started = job.getVariablesAsMap().get("downtimeStartedAt");
          if (started instanceof String text) {
            Duration downtime = Duration.between(Instant.parse(text), now);
            out.put("downtimeSeconds", downtime.toMillis() / 1000.0);
            // One observation per upgrade: the last hop's start ends the downtime.
            if (target.hop() != null
                && target.hop().equals(job.getVariablesAsMap().get("targetVersion"))) {
              metrics.platformDowntime(target.platform(), downtime);
            }
          }
          return out;
        },
        out ->
            "all started "
                + out.get("serviceHealth")
                + (out.containsKey("hooks") ? "; hooks " + out.get("hooks") : "")
                + (out.containsKey("downtimeSeconds")
                    ? "; downtime " + out.get("downtimeSeconds") + " s"
                    : ""));
  }
}
