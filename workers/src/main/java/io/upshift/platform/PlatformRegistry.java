package io.upshift.platform;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The platforms Upshift may upgrade, from configuration ({@code upshift.platforms.<name>.*}).
 * Credentials are not here: they stay in the platform's own .env and are read by reference.
 *
 * @param platforms by name
 */
@ConfigurationProperties("upshift")
public record PlatformRegistry(Map<String, Registration> platforms) {

  /**
   * @param repository URL of the deployment repository (one tag per release)
   * @param workingDirectory where the platform's release is checked out and its .env lives
   * @param composeProject the compose project name of the running platform
   */
  public record Registration(String repository, Path workingDirectory, String composeProject) {}

  public PlatformRegistry {
    platforms = platforms == null ? Map.of() : new TreeMap<>(platforms);
  }

  public Optional<Registration> find(String name) {
    return Optional.ofNullable(name).map(platforms::get);
  }

  public String names() {
    return platforms.isEmpty()
        ? "(none configured under upshift.platforms)"
        : String.join(", ", platforms.keySet());
  }
}
