package io.upshift.platform;

import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.DockerClients;
import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * What the cutover does to a registered platform, step by step: stop its applications, check out a
 * release, start it and wait until healthy. Each operation is idempotent: doing it twice (a
 * redelivered job) leaves the platform as doing it once.
 */
@Service
public class PlatformOperations {

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
   * Stops the application services in the descriptor's stop order (workloads first), never removing
   * containers or volumes; the database keeps running. Returns the services stopped.
   */
  public List<String> stopApplications(String platform) {
    InstalledPlatform installed = installed(platform);
    List<String> stopped = new ArrayList<>();
    for (PlatformDescriptor.Service service : installed.descriptor().applicationStopOrder()) {
      compose(installed, List.of("stop", service.name()));
      stopped.add(service.name());
    }
    return stopped;
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
   * Starts every service (compose up -d, dependencies first as the compose file orders them) and
   * waits until all are healthy, up to the longest {@code healthTimeoutSeconds} of the descriptor.
   * Returns the health of each service; the caller decides what unhealthy means.
   */
  public Map<String, String> startAndAwaitHealthy(String platform)
      throws InterruptedException, IOException {
    InstalledPlatform installed = installed(platform);
    List<String> services =
        installed.descriptor().services().stream().map(PlatformDescriptor.Service::name).toList();
    int timeout =
        installed.descriptor().services().stream()
            .map(PlatformDescriptor.Service::healthTimeoutSeconds)
            .filter(java.util.Objects::nonNull)
            .max(Integer::compare)
            .orElse(120);
    try {
      compose(installed, List.of("up", "-d"));
    } catch (io.upshift.compose.ComposeException e) {
      // compose refuses to start a service whose dependency turned unhealthy; the states say why.
    }
    try (var docker = DockerClients.local()) {
      return new ComposeServices(docker)
          .awaitHealthy(
              installed.registration().composeProject(), services, Duration.ofSeconds(timeout));
    }
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
