package io.upshift.fork;

import io.upshift.fork.UpgradeRules.Classification;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.merge.MergeStrategy;
import org.eclipse.jgit.merge.ResolveMerger;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The merge as a dry run: JGit's recursive three-way merger (a {@link ResolveMerger}, the one
 * {@code git merge} in JGit uses) in core, so nothing is written to the working tree, the index or
 * any ref. Its unmerged paths are exactly the files the real merge leaves in conflict; each is
 * classified by the fork's rules.
 */
final class MergeSimulator {

  /** Lists in the report stay readable (and process variables small). */
  static final int MAX_LISTED = 200;

  private MergeSimulator() {}

  /**
   * What merging {@code theirs} into {@code ours} would do.
   *
   * @param bothChanged files both sides changed since the merge base (capped at {@value
   *     #MAX_LISTED}; the count is exact)
   * @param autoMerged files both sides changed that merge without conflict (capped)
   * @param conflicts every file the merge would leave in conflict, with its rule
   * @param counts conflicts per decision (accept-upstream, keep-ours, manual)
   */
  record Report(
      String ours,
      String theirs,
      String mergeBase,
      int upstreamChanged,
      int oursChanged,
      int bothChangedCount,
      List<String> upstreamAreas,
      List<String> bothChanged,
      List<String> autoMerged,
      List<Classification> conflicts,
      Map<String, Integer> counts,
      long millis) {

    List<String> files(String decision) {
      return conflicts.stream()
          .filter(c -> c.decision().equals(decision))
          .map(Classification::path)
          .toList();
    }

    /** One line per category with its files, then the manual files with their rules. */
    String text() {
      StringBuilder out = new StringBuilder();
      out.append(conflicts.size())
          .append(" conflicted file(s); ")
          .append(bothChangedCount)
          .append(" changed on both sides, ")
          .append(bothChangedCount - conflicts.size())
          .append(" merge cleanly; upstream changed ")
          .append(upstreamChanged)
          .append(", the fork ")
          .append(oursChanged)
          .append(" file(s) since the merge base");
      for (UpgradeRules.Decision d : UpgradeRules.Decision.values()) {
        List<String> files = files(d.wire());
        out.append("\n")
            .append(d.wire())
            .append(" (")
            .append(files.size())
            .append(")")
            .append(files.isEmpty() ? "" : ": " + String.join(", ", files));
      }
      for (Classification c : conflicts) {
        if (c.decision().equals(UpgradeRules.Decision.MANUAL.wire())) {
          out.append("\n  manual ")
              .append(c.path())
              .append(" <- ")
              .append(c.rule())
              .append(": ")
              .append(c.reason());
        }
      }
      return out.toString();
    }
  }

  static Report simulate(Repository repo, ObjectId ours, ObjectId theirs, UpgradeRules rules)
      throws IOException {
    long started = System.nanoTime();
    ResolveMerger merger = (ResolveMerger) MergeStrategy.RECURSIVE.newMerger(repo, true);
    merger.merge(ours, theirs);
    Set<String> unmerged = new TreeSet<>(merger.getUnmergedPaths());
    if (merger.getFailingPaths() != null && !merger.getFailingPaths().isEmpty()) {
      unmerged.addAll(merger.getFailingPaths().keySet());
    }
    ObjectId base = mergeBase(repo, ours, theirs);
    Set<String> upstream = changed(repo, base, theirs);
    Set<String> fork = changed(repo, base, ours);
    Set<String> both = new TreeSet<>(upstream);
    both.retainAll(fork);
    List<String> autoMerged = new ArrayList<>();
    for (String path : both) {
      if (!unmerged.contains(path)) {
        autoMerged.add(path);
      }
    }
    List<Classification> conflicts = unmerged.stream().map(rules::classify).toList();
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (UpgradeRules.Decision d : UpgradeRules.Decision.values()) {
      counts.put(
          d.wire(), (int) conflicts.stream().filter(c -> c.decision().equals(d.wire())).count());
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    return new Report(
        ours.name(),
        theirs.name(),
        base == null ? null : base.name(),
        upstream.size(),
        fork.size(),
        both.size(),
        areas(upstream),
        both.stream().limit(MAX_LISTED).toList(),
        autoMerged.stream().limit(MAX_LISTED).toList(),
        conflicts,
        counts,
        millis);
  }

  /** Top-level directories upstream changed, busiest first, at most ten: {@code sky/ (120)}. */
  static List<String> areas(Set<String> paths) {
    Map<String, Integer> counts = new java.util.TreeMap<>();
    for (String path : paths) {
      int slash = path.indexOf('/');
      counts.merge(slash < 0 ? path : path.substring(0, slash + 1), 1, Integer::sum);
    }
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(10)
        .map(e -> e.getKey() + " (" + e.getValue() + ")")
        .toList();
  }

  static ObjectId mergeBase(Repository repo, ObjectId a, ObjectId b) throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      walk.setRevFilter(RevFilter.MERGE_BASE);
      walk.markStart(walk.parseCommit(a));
      walk.markStart(walk.parseCommit(b));
      RevCommit base = walk.next();
      return base == null ? null : base.getId();
    }
  }

  /** Paths that differ between two commits ({@code from} null: every path of {@code to}). */
  static Set<String> changed(Repository repo, ObjectId from, ObjectId to) throws IOException {
    Set<String> paths = new TreeSet<>();
    try (ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader);
        TreeWalk tree = new TreeWalk(reader)) {
      tree.setRecursive(true);
      if (from == null) {
        tree.addTree(new org.eclipse.jgit.treewalk.EmptyTreeIterator());
      } else {
        tree.addTree(walk.parseCommit(from).getTree());
      }
      tree.addTree(walk.parseCommit(to).getTree());
      tree.setFilter(TreeFilter.ANY_DIFF);
      while (tree.next()) {
        paths.add(tree.getPathString());
      }
    }
    return paths;
  }
}
