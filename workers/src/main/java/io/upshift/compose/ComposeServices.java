package io.upshift.compose;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the state of a compose project's containers through the Docker API (labels set by compose).
 */
public class ComposeServices {

  static final String PROJECT_LABEL = "com.docker.compose.project";
  static final String SERVICE_LABEL = "com.docker.compose.service";

  private final DockerClient docker;

  public ComposeServices(DockerClient docker) {
    this.docker = docker;
  }

  /**
   * Health of each service's container: {@code healthy}, {@code unhealthy}, {@code starting},
   * {@code running} (no health check), {@code exited}, ... or {@code missing}.
   */
  public Map<String, String> health(String project, List<String> services) {
    Map<String, String> states = new LinkedHashMap<>();
    for (String service : services) {
      List<Container> containers =
          docker
              .listContainersCmd()
              .withShowAll(true)
              .withLabelFilter(Map.of(PROJECT_LABEL, project, SERVICE_LABEL, service))
              .exec();
      if (containers.isEmpty()) {
        states.put(service, "missing");
        continue;
      }
      InspectContainerResponse inspect =
          docker.inspectContainerCmd(containers.get(0).getId()).exec();
      var state = inspect.getState();
      String status =
          state.getHealth() != null && Boolean.TRUE.equals(state.getRunning())
              ? state.getHealth().getStatus()
              : state.getStatus();
      states.put(service, status);
    }
    return states;
  }

  /**
   * Waits until every service is healthy (or running, for services without a health check); returns
   * the last states seen when the timeout passes or a service exits.
   */
  public Map<String, String> awaitHealthy(String project, List<String> services, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, String> states;
    do {
      states = health(project, services);
      if (states.values().stream().allMatch(s -> s.equals("healthy") || s.equals("running"))) {
        return states;
      }
      // Docker reports unhealthy only after the check's retries ran out: waiting longer won't help.
      if (states.values().stream()
          .anyMatch(s -> s.equals("exited") || s.equals("dead") || s.equals("unhealthy"))) {
        return states;
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    return states;
  }

  /**
   * Waits until every service is started by its rule ({@link StartedRule}), each up to its own
   * timeout. Returns per service {@code healthy} (a health URL, log line or Docker healthcheck
   * satisfied), {@code running} (running long enough), or why it is not started: the container's
   * state ({@code missing}, {@code exited}, {@code restarting}, {@code unhealthy}, ...) or {@code
   * not started: <rule>}. Stops early when a container exited or Docker reports it unhealthy.
   */
  public Map<String, String> awaitStarted(String project, Map<String, StartedRule> rules)
      throws InterruptedException {
    long begin = System.nanoTime();
    Map<String, String> states = new LinkedHashMap<>();
    Map<String, String> done = new LinkedHashMap<>();
    while (true) {
      boolean waiting = false;
      for (Map.Entry<String, StartedRule> e : rules.entrySet()) {
        String service = e.getKey();
        if (done.containsKey(service)) {
          continue;
        }
        StartedRule rule = e.getValue();
        String state = started(project, service, rule);
        states.put(service, state);
        boolean elapsed = System.nanoTime() - begin >= rule.timeout().toNanos();
        if (state.equals("healthy") || state.equals("running") || hopeless(state) || elapsed) {
          done.put(service, state);
        } else {
          waiting = true;
        }
      }
      if (!waiting || done.values().stream().anyMatch(ComposeServices::hopeless)) {
        Map<String, String> result = new LinkedHashMap<>();
        rules.keySet().forEach(s -> result.put(s, done.getOrDefault(s, states.get(s))));
        return result;
      }
      Thread.sleep(500);
    }
  }

  private static boolean hopeless(String state) {
    // Docker reports unhealthy only after the check's retries ran out: waiting longer won't help.
    return state.equals("exited") || state.equals("dead") || state.equals("unhealthy");
  }

  /** One look at a service under its rule. */
  String started(String project, String service, StartedRule rule) throws InterruptedException {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(PROJECT_LABEL, project, SERVICE_LABEL, service))
            .exec();
    if (containers.isEmpty()) {
      return "missing";
    }
    InspectContainerResponse inspect = docker.inspectContainerCmd(containers.get(0).getId()).exec();
    var state = inspect.getState();
    if (!Boolean.TRUE.equals(state.getRunning()) || Boolean.TRUE.equals(state.getRestarting())) {
      return Boolean.TRUE.equals(state.getRestarting()) ? "restarting" : state.getStatus();
    }
    java.time.Instant since = startedAt(inspect.getId());
    long runningFor =
        since == null ? 0 : Duration.between(since, java.time.Instant.now()).toSeconds();
    return switch (rule.kind()) {
      case DOCKER_HEALTH ->
          state.getHealth() != null
              ? state.getHealth().getStatus()
              : runningFor >= rule.runningSeconds() ? "running" : "not started: " + rule;
      case RUNNING -> runningFor >= rule.runningSeconds() ? "running" : "not started: " + rule;
      case LOG_LINE ->
          rule.logLine().matcher(logs(project, service, 10_000)).find()
              ? "healthy"
              : "not started: " + rule;
      case HEALTH_URL -> answers(rule.url()) ? "healthy" : "not started: " + rule;
    };
  }

  private static final java.net.http.HttpClient HTTP =
      java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private static boolean answers(String url) throws InterruptedException {
    try {
      int status =
          HTTP.send(
                  java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                      .timeout(Duration.ofSeconds(5))
                      .GET()
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.discarding())
              .statusCode();
      return status >= 200 && status < 300;
    } catch (java.io.IOException | IllegalArgumentException e) {
      return false;
    }
  }

  /** The last log lines of one service's container. */
  public String logs(String project, String service, int tail) throws InterruptedException {
    return logs(project, service, tail, null);
  }

  /**
   * The last log lines of one service's container written since that container last started and, if
   * given, since {@code since}: lines of an earlier start (a container that was not recreated keeps
   * its old log) never show up. Lines are filtered by Docker's own timestamps, which are stripped
   * from the result.
   */
  public String logs(String project, String service, int tail, java.time.Instant since)
      throws InterruptedException {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(PROJECT_LABEL, project, SERVICE_LABEL, service))
            .exec();
    if (containers.isEmpty()) {
      return "";
    }
    String id = containers.get(0).getId();
    java.time.Instant from = startedAt(id);
    if (since != null && (from == null || since.isAfter(from))) {
      from = since;
    }
    StringBuilder out = new StringBuilder();
    var command = docker.logContainerCmd(id).withStdOut(true).withStdErr(true).withTail(tail);
    if (from != null) {
      // Docker's "since" has whole seconds; the exact cut is made on each line's timestamp.
      command.withSince((int) from.getEpochSecond()).withTimestamps(true);
    }
    command
        .exec(
            new com.github.dockerjava.api.async.ResultCallback.Adapter<
                com.github.dockerjava.api.model.Frame>() {
              @Override
              public void onNext(com.github.dockerjava.api.model.Frame frame) {
                out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
              }
            })
        .awaitCompletion(30, java.util.concurrent.TimeUnit.SECONDS);
    return from == null ? out.toString() : linesSince(out.toString(), from);
  }

  /** Keeps the lines stamped at or after {@code from}, without their timestamps. */
  static String linesSince(String timestamped, java.time.Instant from) {
    StringBuilder kept = new StringBuilder();
    for (String line : timestamped.split("\n")) {
      int space = line.indexOf(' ');
      if (space <= 0) {
        continue;
      }
      try {
        java.time.Instant at = java.time.Instant.parse(line.substring(0, space));
        if (!at.isBefore(from)) {
          kept.append(line.substring(space + 1)).append('\n');
        }
      } catch (java.time.format.DateTimeParseException e) {
        // A continuation without a stamp cannot be placed in time; leave it out of error scans.
      }
    }
    return kept.toString();
  }

  private java.time.Instant startedAt(String containerId) {
    String started = docker.inspectContainerCmd(containerId).exec().getState().getStartedAt();
    if (started == null || started.startsWith("0001-")) {
      return null;
    }
    try {
      return java.time.Instant.parse(started);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }
}
