package io.upshift.paths;

import io.upshift.paths.PathReport.Finding;
import io.upshift.paths.PathReport.Kind;
import io.upshift.platform.Version;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What can be told from the release catalog alone, before any database: edited migrations and one
 * change under two versions. Lost and out-of-order migrations show on the paths themselves, from
 * each database's history before a hop; the messages are shared.
 */
final class CatalogChecks {

  private CatalogChecks() {}

  /** Edited migrations and one change under two versions, whatever the paths. */
  static List<Finding> find(ReleaseCatalog catalog) {
    List<Finding> findings = new ArrayList<>();
    edited(catalog, findings);
    duplicates(catalog, findings);
    return findings;
  }

  static String lost(ReleaseCatalog catalog, Migration m, Version a, Version b) {
    List<String> laterWithIt =
        catalog.versions().stream()
            .filter(v -> v.compareTo(b) > 0 && catalog.migration(v, m.version()) != null)
            .map(Version::toString)
            .toList();
    return "migration "
        + m.label()
        + " applied by "
        + a
        + " is missing from "
        + b
        + (laterWithIt.isEmpty()
            ? ""
            : ", a release in between (later " + String.join(", ", laterWithIt) + " has it again)")
        + ": the hop "
        + a
        + " -> "
        + b
        + " loses it; a backport must be in every release a path can pass through";
  }

  /** A migration of {@code in} that is the same change as {@code m} under another version. */
  static Migration sameChange(List<Migration> in, Migration m) {
    for (Migration other : in) {
      if (!other.version().equals(m.version())
          && (other.description().equalsIgnoreCase(m.description())
              || (!m.change().isEmpty() && other.change().equals(m.change())))) {
        return other;
      }
    }
    return null;
  }

  private static void edited(ReleaseCatalog catalog, List<Finding> findings) {
    Map<String, Map<Integer, List<Version>>> byVersion = new LinkedHashMap<>();
    Map<String, Migration> first = new LinkedHashMap<>();
    for (Version v : catalog.versions()) {
      for (Migration m : catalog.migrations(v)) {
        first.putIfAbsent(m.version(), m);
        byVersion
            .computeIfAbsent(m.version(), k -> new LinkedHashMap<>())
            .computeIfAbsent(m.checksum(), k -> new ArrayList<>())
            .add(v);
      }
    }
    byVersion.forEach(
        (version, sums) -> {
          if (sums.size() > 1) {
            List<String> parts = new ArrayList<>();
            sums.forEach((sum, releases) -> parts.add("checksum " + sum + " in " + releases));
            List<List<Version>> groups = new ArrayList<>(sums.values());
            findings.add(
                new Finding(
                    Kind.EDITED,
                    groups.get(0).get(groups.get(0).size() - 1) + " -> " + groups.get(1).get(0),
                    first.get(version).label(),
                    "migration "
                        + first.get(version).label()
                        + " was edited after its release: "
                        + String.join(", ", parts)
                        + ". Flyway refuses to upgrade a database that applied the old text"
                        + " (checksum mismatch); ship the fix as a new migration instead",
                    List.of()));
          }
        });
  }

  private static void duplicates(ReleaseCatalog catalog, List<Finding> findings) {
    Map<String, Set<String>> versionsByChange = new LinkedHashMap<>();
    Map<String, Map<String, String>> where = new LinkedHashMap<>();
    for (Version v : catalog.versions()) {
      for (Migration m : catalog.migrations(v)) {
        for (String key : List.of("d:" + m.description().toLowerCase(), "c:" + m.change())) {
          if (key.equals("c:")) {
            continue;
          }
          versionsByChange.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(m.version());
          where
              .computeIfAbsent(key, k -> new LinkedHashMap<>())
              .putIfAbsent(m.version(), m.label() + " in " + v);
        }
      }
    }
    Set<Set<String>> reported = new LinkedHashSet<>();
    versionsByChange.forEach(
        (key, versions) -> {
          if (versions.size() > 1 && reported.add(versions)) {
            findings.add(
                new Finding(
                    Kind.DUPLICATE,
                    "-",
                    String.join(", ", versions),
                    "the same change is shipped under "
                        + versions.size()
                        + " versions: "
                        + String.join(", ", where.get(key).values())
                        + ". A path that passes a release with one and a release with the other"
                        + " applies it twice (or loses one); keep one version in every release",
                    List.of()));
          }
        });
  }
}
