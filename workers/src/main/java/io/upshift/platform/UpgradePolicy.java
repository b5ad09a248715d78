package io.upshift.platform;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A platform's upgrade rules ({@code upgrade.policy} in its descriptor), declared once instead of
 * spelled out per release. Releases are grouped in <em>lines</em>: {@code MAJOR.MINOR} (e.g. {@code
 * 23.09}, {@code line: minor}, the default) or {@code MAJOR} ({@code line: major}). A hop is judged
 * against the release catalog (the plain release versions of the repository):
 *
 * <ul>
 *   <li>{@code withinLine: consecutive}: inside a line, every release is visited (no skipping from
 *       23.09.8 to 23.09.10); {@code any}: any newer release of the line;
 *   <li>{@code leaveLine: from-latest}: a hop into a newer line starts at the latest release of the
 *       line it leaves; {@code any}: from any release;
 *   <li>{@code skipLines: false}: a hop into a newer line lands in the next line of the catalog,
 *       never skipping one; {@code true}: any newer line;
 *   <li>{@code steppingStones}: releases no hop may pass over.
 * </ul>
 *
 * A release's own {@code upgrade.from} still applies on top (a hop needs both).
 */
public record UpgradePolicy(
    Line line,
    boolean consecutiveWithinLine,
    boolean leaveFromLatest,
    boolean skipLines,
    List<Version> steppingStones) {

  /** No policy: every hop the releases' {@code upgrade.from} accept (the behaviour before). */
  public static final UpgradePolicy NONE =
      new UpgradePolicy(Line.MINOR, false, false, true, List.of());

  static final List<String> LINES = List.of("minor", "major");
  static final List<String> WITHIN_LINE = List.of("consecutive", "any");
  static final List<String> LEAVE_LINE = List.of("from-latest", "any");

  /** What groups releases into lines. */
  public enum Line {
    MINOR,
    MAJOR;

    String of(Version v) {
      return this == MAJOR ? Integer.toString(v.major()) : v.major() + "." + v.minor();
    }

    boolean same(Version a, Version b) {
      return a.major() == b.major() && (this == MAJOR || a.minor() == b.minor());
    }
  }

  /** The policy in its descriptor keys, for reports. */
  public String describe() {
    if (equals(NONE)) {
      return "none declared (each release's upgrade.from decides)";
    }
    return "line: "
        + line.name().toLowerCase(java.util.Locale.ROOT)
        + ", withinLine: "
        + (consecutiveWithinLine ? "consecutive" : "any")
        + ", leaveLine: "
        + (leaveFromLatest ? "from-latest" : "any")
        + ", skipLines: "
        + skipLines
        + ", steppingStones: "
        + steppingStones;
  }

  /** Problems of a declared policy, each naming the field and the allowed values. */
  static List<String> problems(PlatformDescriptor.Policy p) {
    List<String> problems = new ArrayList<>();
    check(problems, "upgrade.policy.line", p.line(), LINES);
    check(problems, "upgrade.policy.withinLine", p.withinLine(), WITHIN_LINE);
    check(problems, "upgrade.policy.leaveLine", p.leaveLine(), LEAVE_LINE);
    if (p.steppingStones() != null) {
      for (int i = 0; i < p.steppingStones().size(); i++) {
        String stone = p.steppingStones().get(i);
        if (!Version.isVersion(stone) || Version.parse(stone).labelled()) {
          problems.add(
              "upgrade.policy.steppingStones["
                  + i
                  + "] '"
                  + stone
                  + "' is not a release version like 3.15.3 (MAJOR.MINOR.PATCH)");
        }
      }
    }
    return problems;
  }

  private static void check(
      List<String> problems, String field, String value, List<String> allowed) {
    if (value != null && !allowed.contains(value)) {
      problems.add(field + " '" + value + "' is not one of " + String.join(", ", allowed));
    }
  }

  /** Interprets a validated policy; missing keys take the strict defaults. */
  public static UpgradePolicy of(PlatformDescriptor.Policy p) {
    List<String> problems = problems(p);
    if (!problems.isEmpty()) {
      throw new DescriptorException(String.join("; ", problems));
    }
    return new UpgradePolicy(
        "major".equals(p.line()) ? Line.MAJOR : Line.MINOR,
        !"any".equals(p.withinLine()),
        !"any".equals(p.leaveLine()),
        Boolean.TRUE.equals(p.skipLines()),
        p.steppingStones() == null
            ? List.of()
            : p.steppingStones().stream().map(Version::parse).sorted().toList());
  }

  /** Builds a policy from its YAML values, for tests and the CLI. */
  public static UpgradePolicy of(
      String line, String withinLine, String leaveLine, Boolean skipLines, String... stones) {
    return of(
        new PlatformDescriptor.Policy(
            line, withinLine, leaveLine, skipLines, Arrays.asList(stones)));
  }

  /**
   * Why the policy refuses the hop {@code from -> to}, or empty when it allows it.
   *
   * @param catalog the platform's releases (labelled ones are ignored as line members)
   */
  public Optional<String> refusal(Version from, Version to, List<Version> catalog) {
    if (to.compareTo(from) <= 0) {
      return Optional.of(to + " is not newer than " + from);
    }
    List<Version> plain = catalog.stream().filter(v -> !v.labelled()).sorted().toList();
    List<String> reasons = new ArrayList<>();
    if (line.same(from, to)) {
      if (consecutiveWithinLine) {
        List<Version> skipped =
            plain.stream()
                .filter(v -> line.same(v, from) && v.compareTo(from) > 0 && v.compareTo(to) < 0)
                .toList();
        if (!skipped.isEmpty()) {
          reasons.add(
              "it skips "
                  + join(skipped)
                  + " of line "
                  + line.of(from)
                  + " (upgrade.policy.withinLine: consecutive)");
        }
      }
    } else {
      if (leaveFromLatest) {
        Optional<Version> latest =
            plain.stream().filter(v -> line.same(v, from)).reduce((a, b) -> b);
        if (latest.isPresent() && latest.get().compareTo(from) > 0) {
          reasons.add(
              "it leaves line "
                  + line.of(from)
                  + " from "
                  + from
                  + ", not from its latest release "
                  + latest.get()
                  + " (upgrade.policy.leaveLine: from-latest)");
        }
      }
      if (!skipLines) {
        List<String> skippedLines =
            plain.stream()
                .filter(v -> v.compareTo(from) > 0 && v.compareTo(to) < 0)
                .filter(v -> !line.same(v, from) && !line.same(v, to))
                .map(line::of)
                .distinct()
                .toList();
        if (!skippedLines.isEmpty()) {
          reasons.add(
              "it skips line "
                  + String.join(", ", skippedLines)
                  + " (upgrade.policy.skipLines: false)");
        }
      }
    }
    List<Version> passed =
        steppingStones.stream().filter(s -> s.compareTo(from) > 0 && s.compareTo(to) < 0).toList();
    if (!passed.isEmpty()) {
      reasons.add(
          "it passes over the stepping stone " + join(passed) + " (upgrade.policy.steppingStones)");
    }
    return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
  }

  private static String join(List<Version> versions) {
    return String.join(", ", versions.stream().map(Version::toString).toList());
  }
}
