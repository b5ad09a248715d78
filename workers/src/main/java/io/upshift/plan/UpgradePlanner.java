package io.upshift.plan;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.upshift.config.EnvMigration;
import io.upshift.platform.ComposeYaml;
import io.upshift.platform.DescriptorException;
import io.upshift.platform.EnvFile;
import io.upshift.platform.InstalledPlatform;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.PlatformRegistry;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.platform.UpgradePaths;
import io.upshift.platform.UpgradePolicy;
import io.upshift.platform.Version;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Computes the upgrade plan of a registered platform: the current release (checked out in its
 * working directory), the releases in its repository and their policies give the path of hops; each
 * hop lists the images, migrations (with checksums) and configuration changes it brings.
 */
@Service
public class UpgradePlanner {

  static final String PATH_FORBIDDEN = "UPGRADE_PATH_FORBIDDEN";
  static final String UNKNOWN_RELEASE = "UNKNOWN_RELEASE";

  /**
   * Characters of release notes the plan carries over all hops: the approval evidence is limited
   * (64 KiB), so each hop's notes are shortened to its share, never below {@link #MIN_NOTES_CHARS}.
   */
  static final int NOTES_BUDGET_CHARS = 24_000;

  static final int MIN_NOTES_CHARS = 2_000;
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private final PlatformRegistry registry;
  private final Path repositories;

  UpgradePlanner(PlatformRegistry registry, @Value("${upshift.data-dir}") Path dataDir) {
    this.registry = registry;
    this.repositories = dataDir.resolve("repositories");
  }

  /**
   * The releases (version tags) of a registered platform's repository, oldest first: one fetch of
   * Upshift's mirror, no descriptor read. For checking a start request.
   */
  public List<Release> releases(String platform) {
    PlatformRegistry.Registration registration =
        registry
            .find(platform)
            .orElseThrow(
                () ->
                    new DescriptorException(
                        "Unknown platform '" + platform + "'; registered: " + registry.names()));
    try (ReleaseRepository repository =
        ReleaseRepository.open(platform, registration, repositories.resolve(platform + ".git"))) {
      return repository.releases();
    }
  }

  public UpgradePlan plan(String platform, String target, boolean allowSteppingStones) {
    PlatformRegistry.Registration registration =
        registry
            .find(platform)
            .orElseThrow(
                () ->
                    new DescriptorException(
                        "Unknown platform '" + platform + "'; registered: " + registry.names()));
    Version current = currentVersion(platform, registration);
    Version wanted = Version.parse(target);
    try (ReleaseRepository repository =
        ReleaseRepository.open(platform, registration, repositories.resolve(platform + ".git"))) {
      List<String> stray = repository.strayDescriptors();
      if (!stray.isEmpty()) {
        throw new DescriptorException(
            "upshift.platforms."
                + platform
                + ".descriptors: "
                + String.join(", ", stray)
                + " names no version; allowed: <version>/upshift.yaml or <version>.yaml, the version"
                + " without the tag's prefix (e.g. 1.2.0/upshift.yaml)");
      }
      List<Release> releases = repository.releases();
      Map<Version, Release> byVersion = new LinkedHashMap<>();
      releases.forEach(r -> byVersion.put(r.version(), r));
      if (!byVersion.containsKey(wanted)) {
        throw new PlanRefusedException(
            UNKNOWN_RELEASE,
            "There is no release "
                + wanted
                + " in "
                + registration.repository()
                + "; releases: "
                + String.join(", ", releases.stream().map(Release::tag).toList()));
      }
      Map<Version, PlatformDescriptor> descriptors = new LinkedHashMap<>();
      Map<Version, Predicate<Version>> accepts = new LinkedHashMap<>();
      for (Release release : releases) {
        if (release.version().compareTo(current) > 0 && release.version().compareTo(wanted) <= 0) {
          PlatformDescriptor d = repository.descriptor(release);
          descriptors.put(release.version(), d);
        }
      }
      // The target declares the platform's policy (if any); each release's upgrade.from refines it.
      UpgradePolicy policy =
          descriptors.containsKey(wanted)
              ? descriptors.get(wanted).upgradePolicy()
              : UpgradePolicy.NONE;
      List<Version> catalog = List.copyOf(byVersion.keySet());
      descriptors.forEach(
          (version, d) ->
              accepts.put(
                  version,
                  from ->
                      d.acceptsUpgradeFrom(from)
                          && policy.refusal(from, version, catalog).isEmpty()));
      List<UpgradePaths.Hop> hops =
          UpgradePaths.shortest(current, wanted, List.copyOf(byVersion.keySet()), accepts)
              .orElseThrow(() -> noPath(current, wanted, descriptors.get(wanted)));
      if (hops.size() > 1 && !allowSteppingStones) {
        throw new PlanRefusedException(
            PATH_FORBIDDEN,
            "Upgrading "
                + platform
                + " from "
                + current
                + " directly to "
                + wanted
                + " skips required versions ("
                + wanted
                + " accepts upgrades from "
                + descriptors.get(wanted).upgrade().from()
                + "); the allowed path is "
                + describe(current, hops)
                + ". Start the upgrade with stepping stones allowed, or to "
                + hops.get(0).to()
                + " first.");
      }
      // Images as compose will resolve them with the platform's own .env (e.g. its registry),
      // not with the compose file's defaults.
      EnvFile env = installedEnv(registration, descriptors.get(current));
      // The .env as each hop will find it: the earlier hops' configuration migrations applied.
      Map<String, String> envAtHop = new LinkedHashMap<>(env.values());
      int notesBudget = Math.max(MIN_NOTES_CHARS, NOTES_BUDGET_CHARS / hops.size());
      List<UpgradePlan.PlannedHop> planned = new ArrayList<>();
      for (UpgradePaths.Hop hop : hops) {
        PlatformDescriptor hopTarget = descriptors.get(hop.to());
        EnvMigration.apply(hopTarget, envAtHop);
        planned.add(
            hop(
                repository,
                byVersion.get(hop.from()),
                byVersion.get(hop.to()),
                hopTarget,
                env,
                envAtHop,
                notesBudget));
      }
      return new UpgradePlan(
          platform, registration.repository(), current.toString(), wanted.toString(), planned);
    }
  }

  /** SHA-256 of the plan's canonical JSON: the same plan always hashes the same. */
  public static String hash(UpgradePlan plan) {
    try {
      byte[] json = CANONICAL.writeValueAsBytes(plan);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("Cannot hash the plan", e);
    }
  }

  static String describe(Version current, List<UpgradePaths.Hop> hops) {
    StringBuilder path = new StringBuilder(current.toString());
    hops.forEach(h -> path.append(" -> ").append(h.to()));
    return path.toString();
  }

  private PlanRefusedException noPath(Version current, Version wanted, PlatformDescriptor target) {
    if (wanted.compareTo(current) <= 0) {
      return new PlanRefusedException(
          PATH_FORBIDDEN,
          "The platform is at "
              + current
              + "; "
              + wanted
              + " is not newer (downgrades are rollbacks, not upgrades)");
    }
    return new PlanRefusedException(
        PATH_FORBIDDEN,
        "No allowed upgrade path from "
            + current
            + " to "
            + wanted
            + ": "
            + wanted
            + " accepts upgrades from "
            + (target == null ? "[]" : target.upgrade().from())
            + (target == null || target.upgrade().policy() == null
                ? ""
                : " under the platform's upgrade.policy " + target.upgrade().policy())
            + " and no chain of releases leads there from "
            + current);
  }

  private static Version currentVersion(
      String platform, PlatformRegistry.Registration registration) {
    return InstalledPlatform.descriptor(platform, registration).version();
  }

  private static EnvFile installedEnv(
      PlatformRegistry.Registration registration, PlatformDescriptor current) {
    String name =
        current == null || current.compose().envFile() == null
            ? ".env"
            : current.compose().envFile();
    Path file = registration.workingDirectory().resolve(name);
    try {
      return Files.exists(file) ? EnvFile.read(file) : new EnvFile(Map.of());
    } catch (IOException e) {
      throw new DescriptorException("Cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private UpgradePlan.PlannedHop hop(
      ReleaseRepository repository,
      Release from,
      Release to,
      PlatformDescriptor descriptor,
      EnvFile env,
      Map<String, String> envAtHop,
      int notesBudget) {
    String composeText =
        repository
            .read(to, descriptor.compose().file())
            .orElseThrow(
                () ->
                    new DescriptorException(
                        repository.descriptorSource(to)
                            + ": compose.file: "
                            + to.tag()
                            + " has no "
                            + descriptor.compose().file()));
    String templateFile =
        descriptor.compose().envTemplate() == null
            ? ".env.example"
            : descriptor.compose().envTemplate();
    ReleaseChecks checks =
        new ReleaseChecks(
            to.tag(), descriptor, composeText, repository.read(to, templateFile).orElse(null));
    List<String> problems = checks.problems(descriptor, envAtHop);
    if (!problems.isEmpty()) {
      throw new DescriptorException(
          repository.descriptorSource(to)
              + " does not fit release "
              + to.tag()
              + ": "
              + String.join("; ", problems));
    }
    Set<String> migrationsBefore = new TreeSet<>();
    if (from != null && descriptor.database() != null) {
      migrationsBefore.addAll(
          repository.files(from, descriptor.database().migrations().location()).keySet());
    }
    List<UpgradePlan.PlannedMigration> migrations = new ArrayList<>();
    if (descriptor.database() != null) {
      repository.files(to, descriptor.database().migrations().location()).entrySet().stream()
          .filter(e -> !migrationsBefore.contains(e.getKey()))
          // In Flyway's order (V5 before V5.1 before V6), not the file names' (V5.1 < V5_).
          .sorted(
              java.util.Comparator.comparing(
                      (Map.Entry<String, byte[]> e) ->
                          UpgradePlan.PlannedMigration.version(e.getKey()),
                      java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder()))
                  .thenComparing(Map.Entry::getKey))
          .forEach(
              e ->
                  migrations.add(
                      new UpgradePlan.PlannedMigration(
                          e.getKey(),
                          sha256(e.getValue()),
                          UpgradePlan.PlannedMigration.phaseOf(
                              e.getKey(), descriptor.database().migrations()))));
    }
    List<String> newVariables =
        descriptor.config() == null || descriptor.config().newRequired() == null
            ? List.of()
            : descriptor.config().newRequired().stream()
                .map(PlatformDescriptor.RequiredVariable::name)
                .toList();
    List<String> renamed =
        descriptor.config() == null || descriptor.config().deprecated() == null
            ? List.of()
            : descriptor.config().deprecated().stream()
                .map(d -> d.name() + " -> " + d.replacedBy())
                .toList();
    return new UpgradePlan.PlannedHop(
        from == null ? null : from.tag(),
        to.tag(),
        to.commit(),
        images(repository, to, descriptor, env),
        migrations,
        newVariables,
        renamed,
        checks.startedRules(descriptor),
        checks.drift(descriptor, envAtHop),
        releaseNotes(repository, to, descriptor, notesBudget),
        descriptor.manualSteps().stream()
            .map(m -> new UpgradePlan.PlannedManualStep(m.id(), m.at(), m.text()))
            .toList());
  }

  /** The release's notes, shortened to {@code budget} characters with a note saying so. */
  static String releaseNotes(
      ReleaseRepository repository, Release release, PlatformDescriptor descriptor, int budget) {
    String file = descriptor.platform().releaseNotesFile();
    return repository
        .read(release, file)
        .map(text -> shorten(text, budget, file, release))
        .orElse(null);
  }

  static String shorten(String text, int budget, String file, Release release) {
    if (text.length() <= budget) {
      return text;
    }
    return text.substring(0, budget)
        + "\n\n[… shortened by Upshift: "
        + budget
        + " of "
        + text.length()
        + " characters shown; read "
        + file
        + " at "
        + release.tag()
        + " for the rest]";
  }

  /** Image references of the release's compose file, with ${VAR:-default} defaults applied. */
  static List<String> images(
      ReleaseRepository repository, Release release, PlatformDescriptor descriptor, EnvFile env) {
    String compose =
        repository
            .read(release, descriptor.compose().file())
            .orElseThrow(
                () ->
                    new DescriptorException(
                        release.tag() + " has no compose file " + descriptor.compose().file()));
    Set<String> images = new TreeSet<>();
    for (Object service :
        ComposeYaml.services(compose, descriptor.compose().file() + " at " + release.tag())
            .values()) {
      if (service instanceof Map<?, ?> s && s.get("image") instanceof String image) {
        images.add(env.interpolate(image));
      }
    }
    return List.copyOf(images);
  }

  private static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
