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

  /** Log lines of one service's container since the given time (for error scans and reports). */
  public String logs(String project, String service, int tail) throws InterruptedException {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withShowAll(true)
            .withLabelFilter(Map.of(PROJECT_LABEL, project, SERVICE_LABEL, service))
            .exec();
    if (containers.isEmpty()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    docker
        .logContainerCmd(containers.get(0).getId())
        .withStdOut(true)
        .withStdErr(true)
        .withTail(tail)
        .exec(
            new com.github.dockerjava.api.async.ResultCallback.Adapter<
                com.github.dockerjava.api.model.Frame>() {
              @Override
              public void onNext(com.github.dockerjava.api.model.Frame frame) {
                out.append(new String(frame.getPayload(), java.nio.charset.StandardCharsets.UTF_8));
              }
            })
        .awaitCompletion(30, java.util.concurrent.TimeUnit.SECONDS);
    return out.toString();
  }
}
