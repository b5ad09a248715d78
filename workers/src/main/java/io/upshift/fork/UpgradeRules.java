package io.upshift.fork;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Duration;
import java.util.List;

/**
 * A fork's upgrade rules ({@code fork/upgrade-rules.yaml}, versioned in the fork): the seed's
 * conflict decision tree as data, the install and test commands, and the tag prefix. See {@link
 * RulesReader} for the file format and docs/fork-upgrade.md.
 *
 * @param tagPrefix base tags are {@code <tagPrefix>-base-<version>}
 * @param install commands run before the tests, each an argument array (never a shell string)
 * @param test the test command, an argument array
 * @param testTimeout how long install and test may take together
 * @param testReports globs (relative to the repository) of JUnit XML reports the test command
 *     writes; none means the pytest summary in the test output is read
 * @param rules first match wins; a conflict no rule matches needs a person
 */
public record UpgradeRules(
    String tagPrefix,
    List<List<String>> install,
    List<String> test,
    Duration testTimeout,
    List<String> testReports,
    List<Rule> rules) {

  /** What happens to a conflicted file. */
  public enum Decision {
    ACCEPT_UPSTREAM,
    KEEP_OURS,
    MANUAL;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    static java.util.Optional<Decision> of(String wire) {
      for (Decision d : values()) {
        if (d.wire().equals(wire)) {
          return java.util.Optional.of(d);
        }
      }
      return java.util.Optional.empty();
    }
  }

  /**
   * One branch of the decision tree.
   *
   * @param path a glob over repository paths ({@code *} within a directory, {@code **} across, a
   *     trailing {@code /} means everything below)
   * @param line where it stands in the rules file, for the evidence
   */
  public record Rule(String path, Decision decision, String reason, int line) {

    PathMatcher matcher() {
      return compile(path);
    }

    static PathMatcher compile(String glob) {
      String g = glob.endsWith("/") ? glob + "**" : glob;
      return FileSystems.getDefault().getPathMatcher("glob:" + g);
    }
  }

  /** How a conflicted path is decided, and by which rule. */
  public record Classification(String path, String decision, String rule, String reason) {}

  static final String NO_RULE = "(no rule)";

  /** The first rule whose glob matches {@code path}; a person decides when none does. */
  public Classification classify(String path) {
    Path p = Path.of(path);
    for (Rule rule : rules) {
      if (rule.matcher().matches(p)) {
        return new Classification(
            path,
            rule.decision().wire(),
            rule.path() + " (line " + rule.line() + ")",
            rule.reason());
      }
    }
    return new Classification(
        path, Decision.MANUAL.wire(), NO_RULE, "no rule in the rules file matches this path");
  }
}
