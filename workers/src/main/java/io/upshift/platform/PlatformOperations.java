package io.upshift.platform;

import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.DockerClients;
import io.upshift.compose.StartedRule;
import io.upshift.run.StepFailure;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * What the cutover does to a registered platform, step by step: stop its applications, check out a
 * release, start it and wait until healthy. Each operation is idempotent: doing it twice (a
 * redelivered job) leaves the platform as doing it once.
 */
@Service
public class PlatformOperations {

  private static final Logger log = LoggerFactory.getLogger(PlatformOperations.class);
  private static final Duration COMPOSE_TIMEOUT = Duration.ofMinutes(10);

  private final PlatformRegistry registry;
  private final Path repositories;

  PlatformOperations(PlatformRegistry registry, @Value("${upshift.data-dir}") Path dataDir) {
    this.registry = registry;
    this.repositories = dataDir.resolve("repositories");
  }

  public InstalledPlatform installed(String platform) {
    return InstalledPlatform.load(platform, registration(platform));
  }

  public PlatformRegistry.Registration registration(String platform) {
    return registry
        .find(platform)
        .orElseThrow(
            () ->
                new StepFailure(
                    "Unknown platform '" + platform + "'; registered: " + registry.names()));
  }

  /**
   * Stops the application services by the descriptor's stop order (workloads first; {@link
   * StopPlan}), never removing containers or volumes; the database keeps running. Returns the
   * services stopped.
   */
  public List<String> stopApplications(String platform) {
    try {
      return stop(installed(platform), null).stopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StepFailure("Interrupted while stopping " + platform + "; stop it again");
    }
  }

  /**
   * What a stop did.
   *
   * @param stopped the services, in the order their groups stopped
   * @param commands the compose stop calls, by group ({@code -t <grace> services})
   * @param firstUnanswered when the outage that lasted until the end of the stop began (a missed
   *     answer followed by answers again does not count); null if the entry points answered at the
   *     end or the descriptor declares none
   */
  public record StopReport(
      List<String> stopped,
      List<String> commands,
      Instant began,
      Instant ended,
      Instant firstUnanswered,
      boolean entryPointsDeclared) {

    /** When users lost the platform: the first unanswered poll, else the end of the stop. */
    public Instant userVisibleStart() {
      return firstUnanswered != null ? firstUnanswered : ended;
    }
  }

  /**
   * {@link #stopApplications} while polling the platform's entry points (its {@code healthChecks})
   * every 100 ms, to see when users lost it.
   */
  public StopReport stopAndWatch(String platform) throws InterruptedException {
    InstalledPlatform installed = installed(platform);
    return stop(installed, entryPoints(installed));
  }

  private StopReport stop(InstalledPlatform installed, EntryPointPoller poller)
      throws InterruptedException {
    StopPlan plan = stopPlan(installed);
    List<String> commands = new ArrayList<>();
    Instant began = Instant.now();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      AtomicBoolean done = new AtomicBoolean();
      Future<Optional<Instant>> watch =
          poller == null
              ? CompletableFuture.completedFuture(Optional.empty())
              : threads.submit(() -> poller.outageStart(done::get, COMPOSE_TIMEOUT));
      try {
        for (StopPlan.Group group : plan.groups()) {
          commands.add(stopGroup(installed, group, threads));
        }
      } finally {
        done.set(true);
      }
      Instant ended = Instant.now();
      Instant first = result(watch).orElse(null);
      return new StopReport(
          plan.services(), commands, began, ended, first, poller != null && poller.hasTargets());
    }
  }

  /**
   * Stops one group's services at once: one {@code compose stop -t <grace>} per distinct grace
   * period, run concurrently (see {@link StopPlan} for why not the group's longest); returns what
   * ran.
   */
  private static String stopGroup(
      InstalledPlatform installed, StopPlan.Group group, ExecutorService threads)
      throws InterruptedException {
    List<Future<?>> calls = new ArrayList<>();
    List<String> ran = new ArrayList<>();
    for (Map.Entry<Integer, List<String>> e : group.byGrace().entrySet()) {
      List<String> args = new ArrayList<>(List.of("stop", "-t", String.valueOf(e.getKey())));
      args.addAll(e.getValue());
      ran.add(String.join(" ", args.subList(1, args.size())));
      calls.add(threads.submit(() -> compose(installed, args)));
    }
    for (Future<?> call : calls) {
      result(call);
    }
    return String.join(" & ", ran);
  }

  private static <T> T result(Future<T> future) throws InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof InterruptedException i) {
        throw i;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * The longest a release's stop can take by its stop plan: per stop-order group its longest grace
   * period, the groups one after another. What a stop takes when every service ignores SIGTERM and
   * is killed at the end of its grace period; a service that stops on SIGTERM is faster.
   *
   * @param composeText the release's compose file (for {@code stop_grace_period}), or null
   */
  public static Duration stopBound(
      PlatformDescriptor d, String composeText, String composeFile, EnvFile env) {
    StopPlan plan =
        StopPlan.of(
            d,
            composeText == null ? Map.of() : StopPlan.composeGrace(composeText, composeFile, env));
    Duration total = Duration.ZERO;
    for (StopPlan.Group group : plan.groups()) {
      total =
          total.plus(
              group.grace().values().stream().max(Duration::compareTo).orElse(Duration.ZERO));
    }
    return total;
  }

  /**
   * The stop groups of a release, in the order the cutover stops them: per group, each service's
   * grace period (descriptor, else compose {@code stop_grace_period}, else 10 s).
   */
  public static List<Map<String, Duration>> stopGroups(
      PlatformDescriptor d, String composeText, String composeFile, EnvFile env) {
    return StopPlan.of(
            d,
            composeText == null ? Map.of() : StopPlan.composeGrace(composeText, composeFile, env))
        .groups()
        .stream()
        .map(StopPlan.Group::grace)
        .toList();
  }

  /** The stop plan of the installed release: groups by stop order, grace per service. */
  static StopPlan stopPlan(InstalledPlatform installed) {
    String file = installed.descriptor().compose().file();
    Path path = installed.registration().workingDirectory().resolve(file);
    Map<String, Duration> composeGrace;
    try {
      composeGrace =
          Files.exists(path)
              ? StopPlan.composeGrace(Files.readString(path), file, installed.env())
              : Map.of();
    } catch (IOException e) {
      throw new DescriptorException("Cannot read " + path + ": " + e.getMessage(), e);
    }
    return StopPlan.of(installed.descriptor(), composeGrace);
  }

  /**
   * Watches the platform's entry points in the background from now until every one answers (see
   * {@link EntryPointWatch}); started with the services, it sees when users get the platform back.
   */
  public EntryPointWatch watchEntryPoints(String platform) {
    return new EntryPointWatch(entryPoints(installed(platform)));
  }

  /** A background poll of the entry points until all answer; close it when done with it. */
  public static final class EntryPointWatch implements AutoCloseable {

    private final EntryPointPoller poller;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final ExecutorService thread = Executors.newVirtualThreadPerTaskExecutor();
    private final Future<Optional<Instant>> answered;

    EntryPointWatch(EntryPointPoller poller) {
      this.poller = poller;
      this.answered = thread.submit(() -> poller.allAnswering(cancelled::get, COMPOSE_TIMEOUT));
    }

    /** Whether the descriptor declares any entry point to watch. */
    public boolean declared() {
      return poller.hasTargets();
    }

    /**
     * When every entry point answered in one round, waiting up to {@code max} more for it; empty if
     * none is declared or they did not answer in time.
     */
    public Optional<Instant> allAnswered(Duration max) throws InterruptedException {
      try {
        return answered.get(max.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        return Optional.empty();
      } catch (ExecutionException e) {
        log.warn("Polling the entry points failed", e.getCause());
        return Optional.empty();
      }
    }

    @Override
    public void close() {
      cancelled.set(true);
      thread.shutdownNow();
    }
  }

  /**
   * Watches a release's entry points (its descriptor's health checks, variables from {@code env})
   * at the addresses {@code rewrite} gives, asked again on every probe: for a staged release, whose
   * containers get their addresses only once they run. A null from {@code rewrite} means "does not
   * answer yet".
   */
  public static EntryPointWatch watchEntryPoints(
      PlatformDescriptor descriptor, EnvFile env, UnaryOperator<String> rewrite) {
    EntryPointPoller.HttpProbe http = new EntryPointPoller.HttpProbe();
    return new EntryPointWatch(
        EntryPointPoller.onSystemClock(
            targets(descriptor, env),
            t -> {
              String url = rewrite.apply(t.url().toString());
              return url != null
                  && http.answers(
                      new EntryPointPoller.Target(t.name(), URI.create(url), t.expectStatus()));
            }));
  }

  /** The descriptor's health checks as entry points; one that cannot be resolved is skipped. */
  private static EntryPointPoller entryPoints(InstalledPlatform installed) {
    return EntryPointPoller.http(targets(installed.descriptor(), installed.env()));
  }

  private static List<EntryPointPoller.Target> targets(PlatformDescriptor descriptor, EnvFile env) {
    List<EntryPointPoller.Target> targets = new ArrayList<>();
    var checks = descriptor.healthChecks();
    for (PlatformDescriptor.HttpExpectation check :
        checks == null ? List.<PlatformDescriptor.HttpExpectation>of() : checks) {
      try {
        targets.add(
            new EntryPointPoller.Target(
                check.name(),
                URI.create(env.substitute(check.url())),
                check.expectStatus() == null ? 200 : check.expectStatus()));
      } catch (RuntimeException e) {
        log.warn("Entry point {} is not watched for downtime: {}", check.name(), e.getMessage());
      }
    }
    return targets;
  }

  /**
   * Upshift's mirror of the platform's release repository, fetched; the caller closes it. For
   * reading a release's files at its tag before it is checked out (pre-deployment migrations).
   */
  public ReleaseRepository repository(String platform) {
    return ReleaseRepository.open(
        platform, registration(platform), repositories.resolve(platform + ".git"));
  }

  /** Checks out {@code version} in the working directory; returns the commit. */
  public String checkout(String platform, String version) {
    PlatformRegistry.Registration registration = registration(platform);
    try (ReleaseRepository repository =
        ReleaseRepository.open(platform, registration, repositories.resolve(platform + ".git"))) {
      Release release =
          repository
              .release(version)
              .orElseThrow(
                  () -> new StepFailure("There is no release " + version + " to check out"));
      repository.checkout(release, registration.workingDirectory());
      return release.commit();
    }
  }

  /**
   * Starts the release's services and waits until each is started by its rule ({@link
   * #startedRules}). Without {@code stages}, every service at once (compose up -d, dependencies
   * first as the compose file orders them); with them, each start stage in turn ({@code all},
   * {@code rest} or names), waiting for a stage's services before the next when it says {@code
   * waitStarted}. Returns the state of each service ({@code healthy} or {@code running} when
   * started); the caller decides what the others mean. A stage whose services do not start ends the
   * wait: later stages' services are reported {@code not started: an earlier stage failed}.
   */
  public Map<String, String> startAndAwaitHealthy(String platform)
      throws InterruptedException, IOException {
    InstalledPlatform installed = installed(platform);
    Map<String, StartedRule> rules = startedRules(installed);
    String project = installed.registration().composeProject();
    Map<String, String> states = new LinkedHashMap<>();
    try (var docker = DockerClients.local()) {
      ComposeServices services = new ComposeServices(docker);
      java.util.Set<String> startedSoFar = new java.util.LinkedHashSet<>();
      for (StartStage stage : startStages(installed.descriptor())) {
        List<String> names = stage.services(rules.keySet(), startedSoFar);
        try {
          List<String> args = new ArrayList<>(List.of("up", "-d"));
          if (!stage.all()) {
            args.addAll(names);
          }
          compose(installed, args);
        } catch (io.upshift.compose.ComposeException e) {
          // compose refuses to start a service whose dependency turned unhealthy; states say why.
        }
        startedSoFar.addAll(names);
        if (stage.waitStarted()) {
          Map<String, StartedRule> subset = new LinkedHashMap<>();
          names.forEach(n -> subset.put(n, rules.get(n)));
          Map<String, String> seen = services.awaitStarted(project, subset);
          states.putAll(seen);
          if (!seen.values().stream().allMatch(PlatformOperations::isStarted)) {
            rules.keySet().stream()
                .filter(n -> !states.containsKey(n))
                .forEach(n -> states.put(n, "not started: an earlier stage failed"));
            return states;
          }
        }
      }
      Map<String, StartedRule> rest = new LinkedHashMap<>(rules);
      rest.keySet().removeIf(states::containsKey);
      states.putAll(services.awaitStarted(project, rest));
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    rules.keySet().forEach(n -> ordered.put(n, states.get(n)));
    return ordered;
  }

  /** Whether a state returned by {@link #startAndAwaitHealthy} means started. */
  public static boolean isStarted(String state) {
    return "healthy".equals(state) || "running".equals(state);
  }

  /**
   * What "started" means for each service of the installed release: its {@code started} rule, else
   * Docker's healthcheck (running for 5 s for a service without one). Timeouts: the rule's {@code
   * timeoutSeconds}, else the longest {@code healthTimeoutSeconds} of the descriptor, else 120 s.
   */
  static Map<String, StartedRule> startedRules(InstalledPlatform installed) {
    return startedRules(installed.descriptor(), installed.env());
  }

  /** {@link #startedRules(InstalledPlatform)} of any release's descriptor (e.g. one staged). */
  public static Map<String, StartedRule> startedRules(PlatformDescriptor d, EnvFile env) {
    int fallback =
        d.services().stream()
            .map(PlatformDescriptor.Service::healthTimeoutSeconds)
            .filter(java.util.Objects::nonNull)
            .max(Integer::compare)
            .orElse(120);
    Map<String, StartedRule> rules = new LinkedHashMap<>();
    for (PlatformDescriptor.Service s : d.services()) {
      var st = s.started();
      Duration timeout =
          Duration.ofSeconds(
              st != null && st.timeoutSeconds() != null ? st.timeoutSeconds() : fallback);
      StartedRule rule;
      if (st != null && st.health() != null) {
        rule = StartedRule.healthUrl(env.substitute(st.health()), timeout);
      } else if (st != null && st.logLine() != null) {
        rule = StartedRule.logLine(st.logLine(), timeout);
      } else if (st != null && st.runningSeconds() != null) {
        rule =
            StartedRule.running(
                st.runningSeconds(),
                st.timeoutSeconds() != null
                    ? timeout
                    : Duration.ofSeconds(Math.max(fallback, st.runningSeconds() + 30L)));
      } else {
        rule = StartedRule.dockerHealth(timeout);
      }
      rules.put(s.name(), rule);
    }
    return rules;
  }

  /** A start stage: {@code all}, {@code rest} or named services; whether to wait for them. */
  public record StartStage(Object start, boolean waitStarted) {

    public boolean all() {
      return "all".equals(start);
    }

    public List<String> services(java.util.Set<String> every, java.util.Set<String> startedSoFar) {
      if (all()) {
        return List.copyOf(every);
      }
      if ("rest".equals(start)) {
        return every.stream().filter(n -> !startedSoFar.contains(n)).toList();
      }
      return ((java.util.Collection<?>) start).stream().map(String::valueOf).toList();
    }
  }

  /** The start stages of a descriptor, in order; without stages, one: all services. */
  public static List<StartStage> startStages(PlatformDescriptor d) {
    if (d.stages() == null) {
      return List.of(new StartStage("all", false));
    }
    List<StartStage> stages = new ArrayList<>();
    for (PlatformDescriptor.Stage s : d.stages()) {
      if (s.start() != null) {
        stages.add(new StartStage(s.start(), Boolean.TRUE.equals(s.waitStarted())));
      }
    }
    return stages.isEmpty() ? List.of(new StartStage("all", false)) : stages;
  }

  /** The last lines each service logged (for reports). */
  public Map<String, String> logs(String platform, int tail)
      throws InterruptedException, IOException {
    return logs(platform, tail, null);
  }

  /**
   * The last lines each service's current container logged since it started and, if given, since
   * {@code since} (for error scans: nothing older than the run counts against it).
   */
  public Map<String, String> logs(String platform, int tail, java.time.Instant since)
      throws InterruptedException, IOException {
    InstalledPlatform installed = installed(platform);
    Map<String, String> logs = new java.util.LinkedHashMap<>();
    try (var docker = DockerClients.local()) {
      ComposeServices services = new ComposeServices(docker);
      for (PlatformDescriptor.Service s : installed.descriptor().services()) {
        logs.put(
            s.name(),
            services.logs(installed.registration().composeProject(), s.name(), tail, since));
      }
    }
    return logs;
  }

  /**
   * How long one compose command takes on the installed platform when it has nothing to do ({@code
   * ps -q}, read-only): the fixed cost of the compose process that each start stage's {@code up}
   * pays in the cutover, which the staging run (Docker's API) does not.
   */
  public static Duration composeRoundTrip(InstalledPlatform installed) {
    long begin = System.nanoTime();
    compose(installed, List.of("ps", "-q"));
    return Duration.ofNanos(System.nanoTime() - begin);
  }

  private static void compose(InstalledPlatform installed, List<String> args) {
    ComposeCli.detect()
        .run(
            installed.registration().workingDirectory(),
            installed.registration().composeProject(),
            installed.descriptor().compose().file(),
            COMPOSE_TIMEOUT,
            args);
  }
}
