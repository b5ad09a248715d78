package io.upshift.platform;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The upgrade rules of a release catalog: the platform's {@link UpgradePolicy} plus each release's
 * own {@code upgrade.from}. A hop is allowed when both allow it. Finds the shortest path (with why
 * each stepping stone is needed), every allowed path, or why a path is refused.
 */
public final class UpgradeRules {

  /** Bound on the paths enumerated between two releases, so a loose policy cannot explode. */
  public static final int MAX_PATHS = 500;

  private final UpgradePolicy policy;
  private final List<Version> catalog;
  private final Map<Version, List<String>> from;

  /**
   * @param from per release, its {@code upgrade.from} patterns; {@code null} for a release that
   *     leaves the decision to the policy
   */
  public UpgradeRules(UpgradePolicy policy, Map<Version, List<String>> from) {
    this.policy = policy;
    this.from = new HashMap<>(from);
    this.catalog = from.keySet().stream().sorted().toList();
  }

  /** The rules of a repository's releases, under the policy the {@code policySource} declares. */
  public static UpgradeRules of(
      Map<Version, PlatformDescriptor> descriptors, Version policySource) {
    Map<Version, List<String>> from = new LinkedHashMap<>();
    descriptors.forEach(
        (v, d) -> from.put(v, d.upgrade() == null ? List.of() : d.upgrade().from()));
    PlatformDescriptor source = descriptors.get(policySource);
    return new UpgradeRules(source == null ? UpgradePolicy.NONE : source.upgradePolicy(), from);
  }

  public UpgradePolicy policy() {
    return policy;
  }

  public List<Version> catalog() {
    return catalog;
  }

  /** Why the hop is refused, or empty when allowed. */
  public Optional<String> refusal(Version a, Version b) {
    if (!from.containsKey(b)) {
      return Optional.of(b + " is not a release");
    }
    List<String> patterns = from.get(b);
    List<String> reasons = new ArrayList<>();
    policy.refusal(a, b, catalog).ifPresent(reasons::add);
    if (patterns != null && patterns.stream().noneMatch(a::matches)) {
      reasons.add(
          patterns.isEmpty()
              ? b + " is installed fresh only (its upgrade.from is empty)"
              : b + " accepts upgrades only from " + patterns + " (its upgrade.from)");
    }
    return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
  }

  public boolean allows(Version a, Version b) {
    return refusal(a, b).isEmpty();
  }

  /** Why a whole path (first element the start) is refused: the first refused hop, or empty. */
  public Optional<String> pathRefusal(List<Version> path) {
    for (int i = 1; i < path.size(); i++) {
      Optional<String> why = refusal(path.get(i - 1), path.get(i));
      if (why.isPresent()) {
        return Optional.of(
            "the hop " + path.get(i - 1) + " -> " + path.get(i) + " is refused: " + why.get());
      }
    }
    return Optional.empty();
  }

  /** The shortest allowed path (start included), preferring newer stepping stones. */
  public Optional<List<Version>> shortest(Version a, Version b) {
    Map<Version, Predicate<Version>> accepts = new HashMap<>();
    for (Version v : catalog) {
      accepts.put(v, x -> allows(x, v));
    }
    return UpgradePaths.shortest(a, b, catalog, accepts)
        .map(
            hops -> {
              List<Version> path = new ArrayList<>(List.of(a));
              hops.forEach(h -> path.add(h.to()));
              return path;
            });
  }

  /**
   * Every allowed path from {@code a} to {@code b} (start included), shortest first; labelled
   * releases only as the target. Refuses more than {@value #MAX_PATHS} paths.
   */
  public List<List<Version>> all(Version a, Version b) {
    List<Version> stones =
        catalog.stream()
            .filter(v -> v.compareTo(a) > 0 && v.compareTo(b) < 0 && !v.labelled())
            .toList();
    List<List<Version>> paths = new ArrayList<>();
    walk(new ArrayList<>(List.of(a)), b, stones, paths);
    paths.sort(
        java.util.Comparator.<List<Version>>comparingInt(List::size)
            .thenComparing(p -> p.toString()));
    return paths;
  }

  private void walk(
      List<Version> prefix, Version b, List<Version> stones, List<List<Version>> out) {
    Version at = prefix.get(prefix.size() - 1);
    if (allows(at, b)) {
      List<Version> path = new ArrayList<>(prefix);
      path.add(b);
      out.add(List.copyOf(path));
      if (out.size() > MAX_PATHS) {
        throw new DescriptorException(
            "More than "
                + MAX_PATHS
                + " upgrade paths from "
                + prefix.get(0)
                + " to "
                + b
                + "; the policy is too loose to verify every path (narrow the range)");
      }
    }
    for (Version next : stones) {
      if (next.compareTo(at) > 0 && allows(at, next)) {
        prefix.add(next);
        walk(prefix, b, stones, out);
        prefix.remove(prefix.size() - 1);
      }
    }
  }

  /**
   * One line per hop of a path; a stepping stone says why it is needed: the hop that would pass
   * over it is refused.
   */
  public List<String> explain(List<Version> path) {
    List<String> lines = new ArrayList<>();
    for (int i = 1; i < path.size(); i++) {
      String line = path.get(i - 1) + " -> " + path.get(i);
      if (i < path.size() - 1) {
        Version after = path.get(i + 1);
        line +=
            "   (stepping stone: "
                + path.get(i - 1)
                + " -> "
                + after
                + " is refused: "
                + refusal(path.get(i - 1), after).orElse("allowed, but a longer path was chosen")
                + ")";
      }
      lines.add(line);
    }
    return lines;
  }

  /** {@code a -> b -> c}. */
  public static String describe(List<Version> path) {
    return String.join(" -> ", path.stream().map(Version::toString).toList());
  }
}
