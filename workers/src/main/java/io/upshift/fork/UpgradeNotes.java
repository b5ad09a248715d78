package io.upshift.fork;

import io.upshift.fork.UpgradeRules.Classification;
import io.upshift.fork.UpgradeRules.Decision;
import java.time.LocalDate;
import java.util.List;

/**
 * What a finished upgrade says about itself: the merge commit's message (the seed's template:
 * accepted upstream files, preserved customisations, upstream areas, conflicts resolved, tests
 * against the baseline) and the {@code fork/CUSTOM_CHANGES.md} entry.
 */
final class UpgradeNotes {

  private UpgradeNotes() {}

  static String commitMessage(
      ForkUpgrades.Preflight p,
      MergeSimulator.Report simulation,
      ForkUpgrades.Merge merge,
      ForkUpgrades.Tests tests,
      String acceptedBy,
      String reason) {
    StringBuilder m = new StringBuilder();
    m.append("Merge ").append(p.targetVersion()).append(": integrate upstream changes\n\n");
    for (Classification c : merge.resolved()) {
      m.append(
              c.decision().equals(Decision.ACCEPT_UPSTREAM.wire())
                  ? "- Accept upstream "
                  : "- Preserve ")
          .append(c.path())
          .append(" (")
          .append(c.reason())
          .append(")\n");
    }
    for (Classification c : merge.manual()) {
      m.append("- Merge by hand ").append(c.path()).append(" (").append(c.reason()).append(")\n");
    }
    m.append("- Upstream areas accepted: ")
        .append(String.join(", ", areas(simulation)))
        .append('\n');
    m.append("- Customisations preserved: ")
        .append(p.customCommits())
        .append(" custom commit(s) since ")
        .append(p.baseTag())
        .append(", ")
        .append(p.customFiles())
        .append(" file(s)\n\n");
    m.append("Conflicts resolved: ")
        .append(merge.conflicts().size())
        .append(" (accept-upstream ")
        .append(count(merge.resolved(), Decision.ACCEPT_UPSTREAM))
        .append(", keep-ours ")
        .append(count(merge.resolved(), Decision.KEEP_OURS))
        .append(", manual ")
        .append(merge.manual().size())
        .append("; ")
        .append(simulation.bothChangedCount() - merge.conflicts().size())
        .append(" more changed on both sides merged automatically)\n");
    m.append("Tests: ").append(testsLine(tests, acceptedBy, reason)).append('\n');
    m.append("Upstream commits: ")
        .append(p.upstreamCommits())
        .append(" (")
        .append(p.baseVersion())
        .append(" -> ")
        .append(p.targetVersion())
        .append(")\n");
    return m.toString();
  }

  static String testsLine(ForkUpgrades.Tests t, String acceptedBy, String reason) {
    String line =
        t.passed()
            + " passed, "
            + t.failed()
            + " failed (baseline "
            + t.baselineVersion()
            + ": "
            + (t.baselineFound()
                ? t.preExisting().size() + t.fixed().size() + " failed"
                : "none recorded")
            + ")";
    if (t.regressions().isEmpty()) {
      return line + "; no regressions";
    }
    return line
        + "; new failures "
        + t.regressions()
        + " accepted by "
        + acceptedBy
        + ": "
        + reason;
  }

  private static long count(List<Classification> list, Decision d) {
    return list.stream().filter(c -> c.decision().equals(d.wire())).count();
  }

  private static List<String> areas(MergeSimulator.Report simulation) {
    return simulation.upstreamAreas().isEmpty() ? List.of("none") : simulation.upstreamAreas();
  }

  static String customChangesEntry(
      LocalDate date,
      String runId,
      ForkUpgrades.Preflight p,
      MergeSimulator.Report simulation,
      ForkUpgrades.Merge merge,
      ForkUpgrades.Tests tests,
      String acceptedBy,
      String reason) {
    StringBuilder e = new StringBuilder();
    e.append("\n## ")
        .append(date)
        .append(": ")
        .append(p.baseVersion())
        .append(" -> ")
        .append(p.targetVersion())
        .append("\n\n");
    e.append("- Upstream commits merged: ").append(p.upstreamCommits()).append('\n');
    e.append("- Custom commits carried: ").append(p.customCommits()).append('\n');
    e.append("- Conflicts: ").append(merge.conflicts().size()).append('\n');
    for (Classification c : merge.resolved()) {
      e.append("  - `")
          .append(c.path())
          .append("`: ")
          .append(c.decision())
          .append(" by rule ")
          .append(c.rule())
          .append(" (")
          .append(c.reason())
          .append(")\n");
    }
    for (Classification c : merge.manual()) {
      e.append("  - `")
          .append(c.path())
          .append("`: merged by hand, sent there by ")
          .append(c.rule())
          .append(" (")
          .append(c.reason())
          .append(")\n");
    }
    e.append("- Merged automatically although both sides changed them: ")
        .append(simulation.bothChangedCount() - merge.conflicts().size())
        .append('\n');
    e.append("- Tests: ").append(testsLine(tests, acceptedBy, reason)).append('\n');
    e.append("- Upshift run: ").append(runId).append('\n');
    return e.toString();
  }
}
