package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.StartedRule;
import io.upshift.migration.CommandMigrator;
import io.upshift.migration.ComposeServiceSpec;
import io.upshift.platform.ComposeYaml;
import io.upshift.platform.DatabaseEndpoints;
import io.upshift.platform.EnvFile;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformOperations;
import io.upshift.storage.FileTrees;
import io.upshift.verify.PlatformVerification;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The staging run of the rehearsal: one hop's release started on the restored copy, checked, and
 * removed. The application services of the release (every service but those with role {@code
 * database}; the scratch server stands in for those, under their service names) run as containers
 * of their target images, built from the release's compose file the way the migration's one-off
 * container is ({@link ComposeServiceSpec}: image, entrypoint, command, environment with the .env
 * as the config migration makes it), on the rehearsal's scratch network, so the database address of
 * the compose file reaches the copy and nothing reaches the live platform. No port is published;
 * named volumes become anonymous volumes removed with the containers (the live volumes, e.g.
 * uploads, are never mounted), bind mounts of the release's own files (e.g. {@code ./config}) are
 * the release's files extracted from its tag, other host paths become anonymous volumes. The
 * compose file's healthcheck is given to each container.
 *
 * <p>The services start in the release's start stages; the {@code afterMigrations} hooks run in the
 * staged container of their service once it runs; each service must then be started by its rule
 * ({@link StartedRule}, health URLs pointed at the staged container), within the descriptor's
 * timeout capped by {@link StagingProperties#startTimeout()}. Then the descriptor's health checks
 * and smoke requests run against the staged services (a URL on the loopback host whose port a
 * staged service publishes in the compose file goes to that service's address and container port;
 * any other URL is reported as not staged), and the database checks against the copies. The
 * containers carry the compose project and service labels of a staging project of their own ({@code
 * upshift-staging-<run>-<hop>}), which {@link ComposeServices} reads, and the rehearsal's run
 * label, by which {@link ScratchServer#removeAll} removes leftovers. Everything is removed in every
 * case.
 */
final class Staging {

  private static final Logger log = LoggerFactory.getLogger(Staging.class);
  private static final String PROJECT_LABEL = "com.docker.compose.project";
  private static final String SERVICE_LABEL = "com.docker.compose.service";

  /** How long the entry points may take to answer after every staged service has started. */
  private static final Duration ENTRY_POINT_GRACE = Duration.ofSeconds(5);

  /** One hop's release to stage. */
  record Release(
      String hop,
      String previousVersion,
      PlatformDescriptor descriptor,
      String composeText,
      EnvFile env,
      ReleaseFiles files) {}

  /** Writes a path of the release (a folder or a file) under a local directory. */
  interface ReleaseFiles {
    void extract(String path, Path target) throws IOException;
  }

  /**
   * What the staging of one hop found.
   *
   * @param createMillis creating the staged containers (before the start; the cutover's {@code
   *     compose up} creates them inside the downtime)
   * @param startMillis from the first container's start until every service was started (or the
   *     wait ended)
   * @param answeringMillis from the first container's start until the release's entry points (its
   *     health checks, polled every 100 ms at the staged addresses) all answered, as users would
   *     see it; null if it declares none or they did not answer
   * @param stopMillis how long stopping the staged services took, stopped as the cutover stops
   *     them; null when staging failed (nothing to stop cleanly) or a stop failed
   * @param services each staged service's state at the end of the wait
   * @param checks every check: name, passed, detail
   */
  record Result(
      String hop,
      boolean passed,
      String failure,
      long createMillis,
      long startMillis,
      Long answeringMillis,
      Long stopMillis,
      Map<String, String> services,
      List<PlatformVerification.Result> checks,
      List<String> hooks) {

    Map<String, Object> asMap() {
      Map<String, Object> map = new LinkedHashMap<>();
      map.put("hop", hop);
      map.put("status", passed ? "passed" : "failed");
      if (failure != null) {
        map.put("failure", failure);
      }
      map.put("createSeconds", createMillis / 1000.0);
      map.put("startUntilHealthySeconds", startMillis / 1000.0);
      if (answeringMillis != null) {
        map.put("startUntilAnsweringSeconds", answeringMillis / 1000.0);
      }
      if (stopMillis != null) {
        map.put("stopSeconds", stopMillis / 1000.0);
      }
      map.put("services", services);
      map.put("hooks", hooks);
      map.put(
          "checks",
          checks.stream()
              .map(c -> (c.passed() ? "passed " : "FAILED ") + c.check() + ": " + c.detail())
              .toList());
      return map;
    }
  }

  private final DockerClient docker;
  private final PlatformVerification verification;
  private final String network;
  private final String runId;
  private final Path workingDirectory;
  private final Duration startTimeout;

  Staging(
      DockerClient docker,
      PlatformVerification verification,
      String network,
      String runId,
      Path workingDirectory,
      Duration startTimeout) {
    this.docker = docker;
    this.verification = verification;
    this.network = network;
    this.runId = runId;
    this.workingDirectory = workingDirectory;
    this.startTimeout = startTimeout;
  }

  /** The staging project of a hop: the compose project label of its containers. */
  static String project(String runId, String hop) {
    return ("upshift-staging-" + runId + "-" + hop).toLowerCase().replaceAll("[^a-z0-9_-]", "-");
  }

  /**
   * Stages the release against the copies and removes it again.
   *
   * @param copies the restored copies by database id
   * @param countsBefore rows per table in the copies before staging (keys as the rehearsal's)
   */
  Result stage(
      Release release,
      Map<String, DatabaseEndpoints.Endpoint> copies,
      Map<String, Long> countsBefore)
      throws IOException, InterruptedException {
    String project = project(runId, release.hop());
    Path files = Files.createTempDirectory("upshift-staging-");
    try {
      return run(release, project, files, copies, countsBefore);
    } finally {
      remove(project);
      FileTrees.deleteRecursively(files);
    }
  }

  private Result run(
      Release release,
      String project,
      Path files,
      Map<String, DatabaseEndpoints.Endpoint> copies,
      Map<String, Long> countsBefore)
      throws IOException, InterruptedException {
    PlatformDescriptor d = release.descriptor();
    String composeFile = d.compose().file();
    Map<String, Object> definitions = ComposeYaml.services(release.composeText(), composeFile);
    // Application services, in start order: the reverse of the stop order.
    List<String> staged = new ArrayList<>();
    for (PlatformDescriptor.Service s : d.applicationStopOrder()) {
      staged.add(0, s.name());
    }
    Map<Integer, String[]> published =
        new LinkedHashMap<>(); // host port -> service, container port
    Map<String, String> containers = new LinkedHashMap<>();
    long createNanos = 0;
    for (String service : staged) {
      ComposeServiceSpec spec =
          ComposeServiceSpec.of(
              release.composeText(),
              composeFile + " at " + release.hop(),
              service,
              release.env(),
              workingDirectory,
              d.compose().envFile() == null ? ".env" : d.compose().envFile());
      @SuppressWarnings("unchecked")
      Map<String, Object> definition =
          definitions.get(service) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
      publishedPorts(definition.get("ports"), release.env())
          .forEach((host, container) -> published.put(host, new String[] {service, container}));
      CommandMigrator.ensureImage(docker, spec.image());
      long creating = System.nanoTime();
      containers.put(service, create(release, project, spec, definition, files));
      createNanos += System.nanoTime() - creating;
    }

    // Start stage by stage; hooks after the migrations in their service's container once it runs.
    Map<String, StartedRule> rules = new LinkedHashMap<>();
    // Read by the entry point watch's thread too.
    Map<String, String> address = new java.util.concurrent.ConcurrentHashMap<>();
    UnaryOperator<String> url = u -> stagedUrl(u, published, containers, address);
    PlatformOperations.startedRules(d, release.env())
        .forEach(
            (service, rule) -> {
              if (containers.containsKey(service)) {
                rules.put(service, staged(rule, url));
              }
            });
    long begin = System.nanoTime();
    Instant beginAt = Instant.now();
    try (PlatformOperations.EntryPointWatch entryPoints =
        PlatformOperations.watchEntryPoints(d, release.env(), url)) {
      return startAndCheck(
          release,
          project,
          staged,
          published,
          containers,
          rules,
          url,
          begin,
          beginAt,
          entryPoints,
          copies,
          countsBefore,
          createNanos / 1_000_000);
    }
  }

  private Result startAndCheck(
      Release release,
      String project,
      List<String> staged,
      Map<Integer, String[]> published,
      Map<String, String> containers,
      Map<String, StartedRule> rules,
      UnaryOperator<String> url,
      long begin,
      Instant beginAt,
      PlatformOperations.EntryPointWatch entryPoints,
      Map<String, DatabaseEndpoints.Endpoint> copies,
      Map<String, Long> countsBefore,
      long createMillis)
      throws IOException, InterruptedException {
    PlatformDescriptor d = release.descriptor();
    ComposeServices services = new ComposeServices(docker);
    Map<String, String> states = new LinkedHashMap<>();
    List<String> hooks = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<String> startedSoFar = new LinkedHashSet<>();
    boolean stopped = false;
    for (PlatformOperations.StartStage stage : PlatformOperations.startStages(d)) {
      List<String> names =
          stage.services(new LinkedHashSet<>(staged), startedSoFar).stream()
              .filter(containers::containsKey)
              .filter(n -> !startedSoFar.contains(n))
              .toList();
      for (String name : names) {
        docker.startContainerCmd(containers.get(name)).exec();
      }
      startedSoFar.addAll(names);
      for (PlatformDescriptor.Hook hook : nullSafe(d.hooks())) {
        if ("afterMigrations".equals(hook.at()) && names.contains(hook.service())) {
          String problem = runHook(hook, containers.get(hook.service()), release, hooks);
          if (problem != null) {
            problems.add(problem);
            stopped = true;
          }
        }
      }
      if (stopped) {
        break;
      }
      if (stage.waitStarted()) {
        Map<String, StartedRule> subset = new LinkedHashMap<>();
        names.forEach(n -> subset.put(n, rules.get(n)));
        Map<String, String> seen = services.awaitStarted(project, subset);
        states.putAll(seen);
        if (!seen.values().stream().allMatch(PlatformOperations::isStarted)) {
          stopped = true;
          break;
        }
      }
    }
    if (!stopped) {
      Map<String, StartedRule> rest = new LinkedHashMap<>(rules);
      rest.keySet().removeIf(states::containsKey);
      rest.keySet().removeIf(n -> !startedSoFar.contains(n));
      states.putAll(services.awaitStarted(project, rest));
    }
    long startMillis = (System.nanoTime() - begin) / 1_000_000;
    // Users get the platform back when its entry points answer, which is usually before every
    // service's healthcheck has passed; a little longer is allowed once all have started.
    Long answeringMillis =
        entryPoints.declared() && states.values().stream().allMatch(PlatformOperations::isStarted)
            ? entryPoints
                .allAnswered(ENTRY_POINT_GRACE)
                .map(at -> Math.max(0, Duration.between(beginAt, at).toMillis()))
                .orElse(null)
            : null;
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String service : staged) {
      ordered.put(service, states.getOrDefault(service, "not started: an earlier stage failed"));
    }
    for (Map.Entry<String, String> e : ordered.entrySet()) {
      if (!PlatformOperations.isStarted(e.getValue())) {
        String tail =
            e.getValue().startsWith("not started: an earlier")
                ? ""
                : logTail(services, project, e.getKey());
        problems.add(
            "service "
                + e.getKey()
                + " "
                + e.getValue()
                + (tail.isEmpty() ? "" : " (its log: " + tail + ")"));
      }
    }

    // Smoke requests against services that did not start only add noise and time: health checks
    // (which name what is wrong) and the database checks still run.
    boolean started = problems.isEmpty();
    List<PlatformVerification.Result> checks =
        verification.verifyStaged(d, release.env(), url, copies, countsBefore, started);
    checks.stream()
        .filter(c -> !c.passed())
        .forEach(c -> problems.add(c.check() + ": " + c.detail()));
    boolean passed = problems.isEmpty();
    Long stopMillis = passed ? stopAsTheCutoverWould(release, containers) : null;
    log.info(
        "Staging of {} (run {}): {}; started in {} ms, entry points answered in {} ms, stopped in"
            + " {} ms; services {}",
        release.hop(),
        runId,
        passed ? "passed" : "failed: " + problems,
        startMillis,
        answeringMillis,
        stopMillis,
        ordered);
    return new Result(
        release.hop(),
        passed,
        passed ? null : String.join("; ", problems),
        createMillis,
        startMillis,
        answeringMillis,
        stopMillis,
        ordered,
        checks,
        hooks);
  }

  /**
   * Stops the staged services the way the cutover stops the live ones (group by group in stop
   * order, the services of a group at once, each with its grace period) and returns how long that
   * took: a measured stop of the same services for the estimate, where the grace periods only bound
   * it. Null if a stop failed.
   */
  private Long stopAsTheCutoverWould(Release release, Map<String, String> containers) {
    PlatformDescriptor d = release.descriptor();
    long begin = System.nanoTime();
    for (Map<String, Duration> group :
        PlatformOperations.stopGroups(
            d, release.composeText(), d.compose().file(), release.env())) {
      List<Thread> stops = new ArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean failed =
          new java.util.concurrent.atomic.AtomicBoolean();
      group.forEach(
          (service, grace) -> {
            String id = containers.get(service);
            if (id != null) {
              stops.add(
                  Thread.ofVirtual()
                      .start(
                          () -> {
                            try {
                              docker
                                  .stopContainerCmd(id)
                                  .withTimeout((int) Math.max(1, grace.toSeconds()))
                                  .exec();
                            } catch (RuntimeException e) {
                              failed.set(true);
                              log.warn("Staged {} did not stop: {}", service, e.getMessage());
                            }
                          }));
            }
          });
      for (Thread t : stops) {
        try {
          t.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      if (failed.get()) {
        return null;
      }
    }
    return (System.nanoTime() - begin) / 1_000_000;
  }

  /** The last lines a staged service logged, on one line, for a failure message. */
  private static String logTail(ComposeServices services, String project, String service)
      throws InterruptedException {
    String text = services.logs(project, service, 5).strip();
    text = text.replaceAll("\\s*\\R\\s*", " | ");
    return text.length() > 600 ? "..." + text.substring(text.length() - 600) : text;
  }

  /** Creates (does not start) the container of one staged service. */
  private String create(
      Release release,
      String project,
      ComposeServiceSpec spec,
      Map<String, Object> definition,
      Path files)
      throws IOException, InterruptedException {
    String name = (project + "-" + spec.service()).replaceAll("[^a-zA-Z0-9_.-]", "-");
    List<Bind> binds = new ArrayList<>();
    List<Volume> anonymous = new ArrayList<>();
    mounts(release, definition.get("volumes"), files, spec.service(), binds, anonymous);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(RehearsalService.SCRATCH_LABEL, runId);
    labels.put(PROJECT_LABEL, project);
    labels.put(SERVICE_LABEL, spec.service());
    CreateContainerCmd create =
        docker
            .createContainerCmd(spec.image())
            .withName(name)
            .withLabels(labels)
            .withEnv(spec.environmentEntries())
            .withVolumes(anonymous)
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode(network).withBinds(binds))
            .withAliases(spec.service());
    if (spec.entrypoint() != null) {
      create.withEntrypoint(spec.entrypoint().isEmpty() ? List.of("") : spec.entrypoint());
    }
    if (spec.command() != null) {
      create.withCmd(spec.command());
    }
    HealthCheck health = healthCheck(definition.get("healthcheck"), release.env());
    if (health != null) {
      create.withHealthcheck(health);
    }
    return create.exec().getId();
  }

  /**
   * The service's volumes for staging: a relative bind mount (the release's own files, e.g. {@code
   * ./config}) is those files extracted from the release; a named volume or any other host path is
   * an anonymous volume at the same place, removed with the container.
   */
  private void mounts(
      Release release,
      Object declared,
      Path files,
      String service,
      List<Bind> binds,
      List<Volume> anonymous)
      throws IOException {
    if (!(declared instanceof List<?> list)) {
      return;
    }
    int n = 0;
    for (Object item : list) {
      String source;
      String target;
      boolean readOnly;
      if (item instanceof Map<?, ?> m) {
        source = m.get("source") == null ? null : String.valueOf(m.get("source"));
        target = String.valueOf(m.get("target"));
        readOnly = Boolean.TRUE.equals(m.get("read_only"));
      } else {
        String[] parts = release.env().interpolate(String.valueOf(item)).split(":");
        if (parts.length == 1) {
          anonymous.add(new Volume(parts[0]));
          continue;
        }
        source = parts[0];
        target = parts[1];
        readOnly = parts.length > 2 && parts[2].contains("ro");
      }
      if (source != null && (source.startsWith("./") || source.startsWith("../"))) {
        String relative = Path.of(source).normalize().toString();
        Path copy = files.resolve(service + "-" + n++);
        release.files().extract(relative, copy);
        if (Files.isDirectory(copy) && isEmpty(copy)) {
          // A single file: extract its folder and mount the file from there.
          Path parent = Path.of(relative).getParent();
          Path folder = files.resolve(service + "-" + n++);
          release.files().extract(parent == null ? "" : parent.toString(), folder);
          copy = folder.resolve(Path.of(relative).getFileName().toString());
        }
        binds.add(
            new Bind(
                copy.toAbsolutePath().toString(),
                new Volume(target),
                readOnly ? AccessMode.ro : AccessMode.rw));
      } else {
        anonymous.add(new Volume(target));
      }
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /** Runs an {@code afterMigrations} hook in the staged container; null when it passed. */
  private String runHook(
      PlatformDescriptor.Hook hook, String container, Release release, List<String> hooks)
      throws InterruptedException {
    List<String> command =
        hook.command().stream()
            .map(
                a ->
                    a.replace(
                            "{previousVersion}",
                            release.previousVersion() == null ? "" : release.previousVersion())
                        .replace("{version}", release.hop()))
            .toList();
    long minutes =
        Math.max(1, ((hook.timeoutSeconds() == null ? 300 : hook.timeoutSeconds()) + 59) / 60);
    long started = System.nanoTime();
    ContainerExec.Result r =
        ContainerExec.run(docker, container, command, new ByteArrayOutputStream(), minutes);
    String line =
        "afterMigrations "
            + hook.service()
            + " "
            + command
            + ": exit "
            + r.exitCode()
            + " in "
            + (System.nanoTime() - started) / 1_000_000
            + " ms";
    hooks.add(line);
    return r.exitCode() == 0 ? null : "hook " + line + ": " + r.stderr().strip();
  }

  /** A rule with its health URL pointed at the staged service and its timeout capped. */
  private StartedRule staged(StartedRule rule, UnaryOperator<String> url) {
    Duration timeout = rule.timeout().compareTo(startTimeout) > 0 ? startTimeout : rule.timeout();
    if (rule.kind() == StartedRule.Kind.HEALTH_URL) {
      String mapped = url.apply(rule.url());
      return mapped == null
          ? StartedRule.dockerHealth(timeout)
          : StartedRule.healthUrl(mapped, timeout);
    }
    return new StartedRule(rule.kind(), rule.url(), rule.logLine(), rule.runningSeconds(), timeout);
  }

  /**
   * A URL of the descriptor (variables substituted) as it reaches the staged release: on the
   * loopback host, at a port a staged service publishes, it goes to that service's address on the
   * scratch network and its container port. Null for any other URL: it would reach the live
   * platform or something else.
   */
  private String stagedUrl(
      String url,
      Map<Integer, String[]> published,
      Map<String, String> containers,
      Map<String, String> address) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return null;
    }
    String host = uri.getHost();
    if (host == null
        || !(host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"))) {
      return null;
    }
    int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    String[] target = published.get(port);
    if (target == null) {
      return null;
    }
    String ip = address.computeIfAbsent(target[0], s -> ipOf(containers.get(s)));
    if (ip == null) {
      return null;
    }
    return uri.getScheme()
        + "://"
        + ip
        + ":"
        + target[1]
        + (uri.getRawPath() == null ? "" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  private String ipOf(String container) {
    try {
      ContainerNetwork n =
          docker
              .inspectContainerCmd(container)
              .exec()
              .getNetworkSettings()
              .getNetworks()
              .get(network);
      return n == null || n.getIpAddress() == null || n.getIpAddress().isBlank()
          ? null
          : n.getIpAddress();
    } catch (NotFoundException e) {
      return null;
    }
  }

  /**
   * The host ports a compose service publishes, each to its container port: {@code
   * [ip:]host:container[/proto]} or the long syntax. Ports without a fixed host port are left out.
   */
  static Map<Integer, String> publishedPorts(Object ports, EnvFile env) {
    Map<Integer, String> out = new LinkedHashMap<>();
    if (!(ports instanceof List<?> list)) {
      return out;
    }
    for (Object item : list) {
      try {
        if (item instanceof Map<?, ?> m) {
          if (m.get("published") != null && m.get("target") != null) {
            out.put(
                Integer.parseInt(env.interpolate(String.valueOf(m.get("published")))),
                env.interpolate(String.valueOf(m.get("target"))));
          }
          continue;
        }
        String text = env.interpolate(String.valueOf(item)).replaceAll("/\\w+$", "");
        String[] parts = text.split(":");
        if (parts.length >= 2) {
          out.put(Integer.parseInt(parts[parts.length - 2]), parts[parts.length - 1]);
        }
      } catch (NumberFormatException e) {
        // a port range or an unset variable: not reachable through staging
      }
    }
    return out;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|ns)");

  /** Compose's healthcheck as Docker's (null when the service has none or disables it). */
  static HealthCheck healthCheck(Object declared, EnvFile env) {
    if (!(declared instanceof Map<?, ?> m) || Boolean.TRUE.equals(m.get("disable"))) {
      return null;
    }
    Object test = m.get("test");
    List<String> command;
    if (test instanceof List<?> list) {
      command = list.stream().map(String::valueOf).map(env::interpolate).toList();
    } else if (test instanceof String s) {
      command = List.of("CMD-SHELL", env.interpolate(s));
    } else {
      return null;
    }
    if (command.isEmpty() || command.get(0).equals("NONE")) {
      return null;
    }
    HealthCheck check = new HealthCheck().withTest(command);
    Long interval = nanos(m.get("interval"));
    if (interval != null) {
      check.withInterval(interval);
    }
    Long timeout = nanos(m.get("timeout"));
    if (timeout != null) {
      check.withTimeout(timeout);
    }
    Long startPeriod = nanos(m.get("start_period"));
    if (startPeriod != null) {
      check.withStartPeriod(startPeriod);
    }
    if (m.get("retries") instanceof Number retries) {
      check.withRetries(retries.intValue());
    }
    return check;
  }

  private static Long nanos(Object value) {
    if (value == null) {
      return null;
    }
    Matcher matcher = DURATION.matcher(String.valueOf(value).strip());
    double total = 0;
    boolean any = false;
    while (matcher.find()) {
      any = true;
      double amount = Double.parseDouble(matcher.group(1));
      total +=
          switch (matcher.group(2)) {
            case "h" -> amount * 3_600e9;
            case "m" -> amount * 60e9;
            case "s" -> amount * 1e9;
            case "ms" -> amount * 1e6;
            case "us" -> amount * 1e3;
            default -> amount;
          };
    }
    return any ? (long) total : null;
  }

  /** Removes the hop's staged containers and their anonymous volumes. */
  private void remove(String project) {
    for (Container c :
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(RehearsalService.SCRATCH_LABEL, runId, PROJECT_LABEL, project))
            .exec()) {
      try {
        docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
      } catch (NotFoundException e) {
        // gone already
      } catch (RuntimeException e) {
        log.warn("Cannot remove staged container {}: {}", c.getId(), e.getMessage());
      }
    }
  }

  private static <T> List<T> nullSafe(List<T> list) {
    return list == null ? List.of() : list;
  }
}
