package io.upshift.platform;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.ConstructorBinding;

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
   * @param descriptors the operator's folder of descriptors, one per version ({@code
   *     <folder>/<version>/upshift.yaml} or {@code <folder>/<version>.yaml}); a descriptor there
   *     wins over the release tag's {@code upshift.yaml}. Null: descriptors come from the tags.
   * @param tagPattern how release tags are named, {@code {version}} standing for the version (e.g.
   *     {@code v{version}}); null or blank: {@value TagPattern#DEFAULT}
   */
  public record Registration(
      String repository,
      Path workingDirectory,
      String composeProject,
      Path descriptors,
      String tagPattern) {

    @ConstructorBinding
    public Registration {}

    public Registration(String repository, Path workingDirectory, String composeProject) {
      this(repository, workingDirectory, composeProject, null, null);
    }

    /** The tag naming of this platform's releases. */
    public TagPattern tags() {
      return TagPattern.of(tagPattern);
    }
  }

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
