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
