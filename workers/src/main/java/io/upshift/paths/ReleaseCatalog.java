package io.upshift.paths;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.platform.UpgradeRules;
import io.upshift.platform.Version;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The releases of a platform repository (its version tags, maintenance branches' tags included)
 * with their descriptors and Flyway migrations, and the upgrade rules the target declares.
 */
final class ReleaseCatalog {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?}");

  private final ReleaseRepository repository;
  private final Map<Version, Release> releases = new TreeMap<>();
  private final Map<Version, PlatformDescriptor> descriptors = new TreeMap<>();
  private final Map<Version, List<Migration>> migrations = new TreeMap<>();
  private final Version target;
  private final UpgradeRules rules;

  /** Reads every plain release up to {@code target} (the newest when null). */
  ReleaseCatalog(ReleaseRepository repository, Version target) {
    this.repository = repository;
    for (Release release : repository.releases()) {
      if (!release.version().labelled() || release.version().equals(target)) {
        releases.put(release.version(), release);
      }
    }
    if (releases.isEmpty()) {
      throw new DescriptorException("No release tags in " + repository.url());
    }
    Version newest = ((TreeMap<Version, Release>) releases).lastKey();
    this.target = target == null ? newest : target;
    if (!releases.containsKey(this.target)) {
      throw new DescriptorException(
          "There is no release " + target + " in " + repository.url() + "; releases: " + tags());
    }
    releases.keySet().removeIf(v -> v.compareTo(this.target) > 0);
    for (Release release : releases.values()) {
      PlatformDescriptor d = repository.descriptor(release);
      if (d.database() == null || d.database().migrations() == null) {
        throw new DescriptorException(
            "upshift.yaml at " + release.tag() + " names no database.migrations to verify");
      }
      descriptors.put(release.version(), d);
      List<Migration> list = new ArrayList<>();
      String folder = d.database().migrations().location();
      repository
          .files(release, folder)
          .forEach(
              (path, bytes) -> {
                Migration m = Migration.of(path.substring(path.lastIndexOf('/') + 1), bytes);
                if (m != null) {
                  list.add(m);
                }
              });
      list.sort((a, b) -> a.flywayVersion().compareTo(b.flywayVersion()));
      migrations.put(release.version(), List.copyOf(list));
    }
    this.rules = UpgradeRules.of(descriptors, this.target);
  }

  Version target() {
    return target;
  }

  UpgradeRules rules() {
    return rules;
  }

  List<Version> versions() {
    return List.copyOf(releases.keySet());
  }

  String tag(Version v) {
    return releases.get(v).tag();
  }

  List<Migration> migrations(Version v) {
    return migrations.get(v);
  }

  /** The migration of a release by version, or null. */
  Migration migration(Version release, String version) {
    return migrations.get(release).stream()
        .filter(m -> m.version().equals(version))
        .findFirst()
        .orElse(null);
  }

  String historyTable(Version v) {
    String table = descriptors.get(v).database().migrations().historyTable();
    return table == null ? "flyway_schema_history" : table;
  }

  /** Writes a release's migrations folder into {@code dir} for Flyway. */
  void extract(Version v, Path dir) throws IOException {
    repository.extract(releases.get(v), descriptors.get(v).database().migrations().location(), dir);
  }

  /**
   * The image of the target's database service, from its compose file ({@code ${VAR:-default}}
   * resolved from the environment, then .env.example), or null when it cannot be told.
   */
  String databaseImage() {
    PlatformDescriptor d = descriptors.get(target);
    Release release = releases.get(target);
    try {
      String compose = repository.read(release, d.compose().file()).orElse(null);
      if (compose == null) {
        return null;
      }
      JsonNode image =
          YAML.readTree(compose).path("services").path(d.database().service()).path("image");
      if (!image.isTextual()) {
        return null;
      }
      String template =
          d.compose().envTemplate() == null
              ? null
              : repository.read(release, d.compose().envTemplate()).orElse(null);
      EnvFile env = template == null ? new EnvFile(Map.of()) : EnvFile.parse(template);
      Matcher m = VARIABLE.matcher(image.asText());
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = System.getenv(m.group(1));
        if (value == null || value.isBlank()) {
          value = env.values().get(m.group(1));
        }
        if (value == null || value.isBlank()) {
          value = m.group(2);
        }
        if (value == null) {
          return null;
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      return out.toString();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private String tags() {
    return String.join(", ", repository.releases().stream().map(Release::tag).toList());
  }

  /** Releases by version, for messages. */
  Map<Version, String> tagsByVersion() {
    Map<Version, String> tags = new LinkedHashMap<>();
    releases.forEach((v, r) -> tags.put(v, r.tag()));
    return tags;
  }
}
