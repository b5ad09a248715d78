package io.upshift.paths;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of a path verification: catalog findings, one row per path (the matrix) and the first
 * divergence explained.
 */
record PathReport(
    String repository,
    String target,
    String policy,
    List<Finding> catalog,
    List<PathResult> paths,
    int databases,
    Duration took,
    Timings timings) {

  /** Where the time went: snapshots (CREATE DATABASE), Flyway, schema dumps; in ms. */
  public record Timings(long snapshots, long migrations, long dumps) {}

  /** What went wrong, by kind; each kind has its own message. */
  public enum Kind {
    /** a migration applied earlier on the path is not shipped by a later release */
    LOST,
    /** a released migration was changed afterwards (checksum) */
    EDITED,
    /** the same change shipped under two versions */
    DUPLICATE,
    /** a release adds a migration older than one already applied: Flyway needs outOfOrder */
    OUT_OF_ORDER,
    /** a version recorded twice, or a failed row in the history */
    APPLIED_TWICE,
    /** the final schema differs from the fresh install's */
    SCHEMA,
    /** the history's checksums differ from the fresh install's */
    CHECKSUM,
    /** the migration tool failed for another reason (e.g. SQL error) */
    FAILED
  }

  /** A problem, where it shows (hop, migration), and for a schema difference the diff lines. */
  public record Finding(
      Kind kind, String hop, String migration, String message, List<String> diff) {
    @Override
    public String toString() {
      return kind + ": " + message;
    }
  }

  /**
   * @param path {@code 3.15.2 -> 3.15.3 -> 3.16.0}, or {@code fresh 3.16.0}
   * @param hops per release of the path, the migrations it applied ({@code 3.15.3: 2.1})
   * @param outOfOrder for a path that needs outOfOrder, what setting it would do, else null
   * @param millis time spent on this path's own hops (shared prefixes counted once)
   */
  public record PathResult(
      String path,
      List<String> hops,
      boolean once,
      boolean noneLost,
      boolean sameSchema,
      boolean checksums,
      List<Finding> divergences,
      String outOfOrder,
      long millis) {
    public boolean passed() {
      return divergences.isEmpty();
    }

    /** Whether every hop ran (else the schema could not be compared). */
    public boolean reachedEnd() {
      return hops.stream().noneMatch(h -> h.endsWith(": refused") || h.endsWith(": not reached"));
    }
  }

  public boolean passed() {
    return catalog.isEmpty() && paths.stream().allMatch(PathResult::passed);
  }

  public long failedPaths() {
    return paths.stream().filter(p -> !p.passed()).count();
  }

  /** The matrix and the explanation, as printed and recorded. */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append("Upgrade path verification of ")
        .append(repository)
        .append(" up to ")
        .append(target)
        .append("\npolicy: ")
        .append(policy)
        .append('\n');
    int width = Math.max(4, paths.stream().mapToInt(p -> p.path().length()).max().orElse(4));
    out.append(
        String.format(
            "%-" + width + "s  %-4s  %-9s  %-14s  %-9s  %s%n",
            "path",
            "once",
            "none lost",
            "schema = fresh",
            "checksums",
            "result"));
    for (PathResult p : paths) {
      out.append(
          String.format(
              "%-" + width + "s  %-4s  %-9s  %-14s  %-9s  %s%n",
              p.path(),
              yes(p.once()),
              yes(p.noneLost()),
              p.reachedEnd() ? yes(p.sameSchema()) : "-",
              yes(p.checksums()),
              p.passed() ? "PASS" : "FAIL " + p.divergences().get(0).kind()));
    }
    out.append(paths.size())
        .append(" paths, ")
        .append(failedPaths())
        .append(" failed; ")
        .append(databases)
        .append(" databases in one PostgreSQL; ")
        .append(took.toMillis())
        .append(" ms (snapshots ")
        .append(timings.snapshots())
        .append(" ms, Flyway ")
        .append(timings.migrations())
        .append(" ms, schema dumps ")
        .append(timings.dumps())
        .append(" ms)\n");
    for (PathResult p : paths) {
      out.append("  ").append(p.path()).append(": ").append(String.join(" | ", p.hops()));
      out.append(" (").append(p.millis()).append(" ms)\n");
    }
    if (!catalog.isEmpty()) {
      out.append("Catalog problems:\n");
      catalog.forEach(f -> out.append("  - ").append(f).append('\n'));
    }
    paths.stream()
        .filter(p -> !p.passed())
        .findFirst()
        .ifPresent(
            p -> {
              Finding first = p.divergences().get(0);
              out.append("First divergence: ")
                  .append(p.path())
                  .append(", hop ")
                  .append(first.hop())
                  .append(first.migration() == null ? "" : ", migration " + first.migration())
                  .append(":\n  ")
                  .append(first)
                  .append('\n');
              first.diff().forEach(line -> out.append("    ").append(line).append('\n'));
              p.divergences().stream()
                  .skip(1)
                  .forEach(d -> out.append("  also ").append(d).append('\n'));
              if (p.outOfOrder() != null) {
                out.append("  ").append(p.outOfOrder()).append('\n');
              }
            });
    for (PathResult p : paths) {
      if (p.outOfOrder() != null
          && !p.passed()
          && p != paths.stream().filter(x -> !x.passed()).findFirst().get()) {
        out.append("  ").append(p.path()).append(": ").append(p.outOfOrder()).append('\n');
      }
    }
    out.append(passed() ? "RESULT: PASS" : "RESULT: FAIL").append('\n');
    return out.toString();
  }

  /** The report shortened for a process variable. */
  public String summary(int limit) {
    String text = render();
    return text.length() <= limit ? text : text.substring(0, limit - 20) + "\n... (shortened)";
  }

  private static String yes(boolean ok) {
    return ok ? "yes" : "NO";
  }
}
