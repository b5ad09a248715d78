package io.upshift.platform;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Upgrade paths between releases under each release's policy ({@code upgrade.from} in its
 * descriptor): a hop A -> B is allowed when A < B and B accepts A. The path is the one with the
 * fewest hops, preferring the newest stepping stones; labelled releases (e.g. {@code 1.1.1-rc}) are
 * never stepping stones, only explicit targets.
 */
public final class UpgradePaths {

  private UpgradePaths() {}

  /** A hop of an upgrade path. */
  public record Hop(Version from, Version to) {}

  /**
   * @param accepts for each release, whether it accepts a direct upgrade from a version
   * @return the hops from {@code current} to {@code target}, or empty when no allowed path exists
   */
  public static Optional<List<Hop>> shortest(
      Version current,
      Version target,
      List<Version> releases,
      Map<Version, Predicate<Version>> accepts) {
    if (target.compareTo(current) <= 0) {
      return Optional.empty();
    }
    List<Version> candidates =
        releases.stream()
            .filter(v -> v.compareTo(current) > 0 && v.compareTo(target) <= 0)
            .filter(v -> v.equals(target) || !v.labelled())
            .sorted(Collections.reverseOrder())
            .toList();
    // Breadth-first from the current version; newest candidates first so ties pick newer stones.
    Map<Version, Version> previous = new HashMap<>();
    Deque<Version> queue = new ArrayDeque<>(List.of(current));
    while (!queue.isEmpty()) {
      Version at = queue.poll();
      if (at.equals(target)) {
        break;
      }
      for (Version next : candidates) {
        if (next.compareTo(at) > 0
            && !previous.containsKey(next)
            && accepts.getOrDefault(next, v -> false).test(at)) {
          previous.put(next, at);
          queue.add(next);
        }
      }
    }
    if (!previous.containsKey(target)) {
      return Optional.empty();
    }
    List<Hop> hops = new ArrayList<>();
    for (Version to = target; !to.equals(current); to = previous.get(to)) {
      hops.add(0, new Hop(previous.get(to), to));
    }
    return Optional.of(hops);
  }
}
