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
import java.util.Optional;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.compose.up}: runs the release's {@code afterMigrations} hooks, starts its services
 * (by its start stages, else all at once, dependencies first) and waits until each is started by
 * its rule (health URL, log line, running N s, Docker healthcheck; running 5 s for a service
 * without one), then runs its {@code afterStart} hooks ({@link PlatformHooks}; output {@code
 * hooks}). A service that stays unhealthy is a hopeless failure naming it, with the end of its log.
 *
 * <p>Downtime, per hop, two figures: {@code downtimeSeconds} from the hop's stop began until every
 * service is started and the hooks ran ({@code downtimeEndedAt}); {@code
 * userVisibleDowntimeSeconds} from when an entry point first stopped answering ({@code
 * userVisibleDowntimeStartedAt}, set by the stop) until every entry point (the descriptor's {@code
 * healthChecks}) answers again, polled every 100 ms from the start on ({@code
 * userVisibleDowntimeEndedAt}). Without declared entry points the user-visible downtime runs from
 * the stop's end until every service started. {@code downtimeByHop} keeps both figures of every hop
 * and {@code downtimeTotalSeconds} / {@code userVisibleDowntimeTotalSeconds} sum them over the
 * hops; the last hop records the user-visible total in the downtime metric.
 */
@Component
public class StartPlatformWorker {

  /** How long after every service started the entry points may still take to answer. */
  static final Duration ENTRY_POINT_WAIT = Duration.ofSeconds(30);

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
      fetchVariables = {
        "platform",
        "hop",
        "targetVersion",
        "plan",
        "downtimeHop",
        "downtimeStartedAt",
        "userVisibleDowntimeStartedAt",
        "downtimeByHop"
      })
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
          Map<String, String> health;
          Instant now;
          Optional<Instant> answered;
          boolean watched;
          try (PlatformOperations.EntryPointWatch entryPoints =
              platforms.watchEntryPoints(target.platform())) {
            health = platforms.startAndAwaitHealthy(target.platform());
            Map<String, String> unhealthy =
                health.entrySet().stream()
                    .filter(e -> !PlatformOperations.isStarted(e.getValue()))
                    .collect(
                        Collectors.toMap(
                            Map.Entry::getKey,
                            Map.Entry::getValue,
                            (a, b) -> a,
                            LinkedHashMap::new));
            if (!unhealthy.isEmpty()) {
              Map<String, String> logs = platforms.logs(target.platform(), 15);
              String tails =
                  unhealthy.keySet().stream()
                      .map(
                          s ->
                              s
                                  + " log: "
                                  + logs.getOrDefault(s, "")
                                      .strip()
                                      .replaceAll("\\s*\\n\\s*", " | "))
                      .collect(Collectors.joining("; "));
              throw new StepFailure(
                  "Services not healthy after start: " + unhealthy + ". " + tails);
            }
            ran.addAll(hooks.run(target.platform(), "afterStart", previous));
            now = clock.instant();
            watched = entryPoints.declared();
            answered = watched ? entryPoints.allAnswered(ENTRY_POINT_WAIT) : Optional.empty();
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("serviceHealth", health);
          if (!ran.isEmpty()) {
            out.put("hooks", ran);
          }
          out.put("downtimeEndedAt", now.toString());
          Map<String, Object> vars = job.getVariablesAsMap();
          Downtime downtime = Downtime.of(target.hop(), vars, now, watched, answered, clock);
          if (downtime != null) {
            out.put("downtimeSeconds", downtime.seconds());
            out.put("userVisibleDowntimeEndedAt", downtime.userVisibleEnd().toString());
            out.put("userVisibleDowntimeSeconds", downtime.userVisibleSeconds());
            if (watched && answered.isEmpty()) {
              out.put("entryPointsAnswered", false);
            }
            Map<String, Object> byHop = new LinkedHashMap<>();
            if (vars.get("downtimeByHop") instanceof Map<?, ?> earlier) {
              earlier.forEach((k, v) -> byHop.put(String.valueOf(k), v));
            }
            // Keyed by hop: a redelivered start of the same hop replaces its own figures.
            byHop.put(
                target.hop(),
                Map.of(
                    "downtimeSeconds",
                    downtime.seconds(),
                    "userVisibleDowntimeSeconds",
                    downtime.userVisibleSeconds()));
            out.put("downtimeByHop", byHop);
            double total = Downtime.sum(byHop, "downtimeSeconds");
            double userVisibleTotal = Downtime.sum(byHop, "userVisibleDowntimeSeconds");
            out.put("downtimeTotalSeconds", total);
            out.put("userVisibleDowntimeTotalSeconds", userVisibleTotal);
            // One observation per upgrade, as users saw it: the last hop records the total.
            if (target.hop() != null && target.hop().equals(vars.get("targetVersion"))) {
              metrics.platformDowntime(
                  target.platform(), Duration.ofMillis(Math.round(userVisibleTotal * 1000)));
            }
          }
          return out;
        },
        out ->
            // The downtime first: the CLI's timeline shows the first 100 characters.
            (out.containsKey("downtimeSeconds")
                    ? "downtime "
                        + out.get("userVisibleDowntimeSeconds")
                        + " s as users saw it"
                        + (Boolean.FALSE.equals(out.get("entryPointsAnswered"))
                            ? " (at least: the entry points did not all answer within "
                                + ENTRY_POINT_WAIT.toSeconds()
                                + " s after the start)"
                            : "")
                        + ", "
                        + out.get("downtimeSeconds")
                        + " s until all services started; "
                    : "")
                + "all started "
                + out.get("serviceHealth")
                + (out.containsKey("hooks") ? "; hooks " + out.get("hooks") : ""));
  }
}
