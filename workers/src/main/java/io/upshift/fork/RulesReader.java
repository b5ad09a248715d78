package io.upshift.fork;

import io.upshift.fork.UpgradeRules.Decision;
import io.upshift.fork.UpgradeRules.Rule;
import java.io.StringReader;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a fork's rules file. Every problem is a {@link RulesException} naming the line and the
 * field; unknown keys are refused too, so a typo does not silently drop a rule.
 *
 * <pre>
 * tagPrefix: acme                    # base tags are acme-base-&lt;version&gt;
 * install:                           # optional; each command an argument array
 *   - [make, install]
 * test: [make, test]                 # required, an argument array
 * testTimeout: PT30M                 # optional, ISO-8601 duration, default PT30M
 * testReports: [build/reports/*.xml] # optional JUnit XML globs; none: pytest summary
 * rules:                             # first match wins; no match: manual
 *   - path: sky/adaptors/seeweb.py
 *     decision: accept-upstream      # accept-upstream | keep-ours | manual
 *     reason: cherry-picked, upstream has the official version
 * </pre>
 */
final class RulesReader {

  static final Duration DEFAULT_TEST_TIMEOUT = Duration.ofMinutes(30);
  static final Duration MAX_TEST_TIMEOUT = Duration.ofHours(12);
  private static final Set<String> TOP =
      Set.of("tagPrefix", "install", "test", "testTimeout", "testReports", "rules");
  private static final Set<String> RULE = Set.of("path", "decision", "reason");
  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private final String file;

  private RulesReader(String file) {
    this.file = file;
  }

  /** Parses {@code text}, read from {@code file} (the name is only for messages). */
  static UpgradeRules read(String file, String text) {
    return new RulesReader(file).parse(text);
  }

  private UpgradeRules parse(String text) {
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(10);
      root = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
      throw new RulesException(file, line, "(file)", "is not valid YAML: " + e.getProblem());
    } catch (RuntimeException e) {
      throw new RulesException(file, 1, "(file)", "is not valid YAML: " + e.getMessage());
    }
    if (!(root instanceof MappingNode map)) {
      throw new RulesException(
          file,
          root == null ? 1 : line(root),
          "(file)",
          "must be a mapping with tagPrefix, test, rules");
    }
    Map<String, NodeTuple> fields = fields(map, "", TOP);
    String prefix = scalar(required(fields, "tagPrefix", map), "tagPrefix");
    if (!PREFIX.matcher(prefix).matches()) {
      throw error(
          fields.get("tagPrefix").getValueNode(),
          "tagPrefix",
          "'" + prefix + "' must match " + PREFIX);
    }
    List<List<String>> install = new ArrayList<>();
    if (fields.containsKey("install")) {
      SequenceNode commands = sequence(fields.get("install").getValueNode(), "install");
      for (int i = 0; i < commands.getValue().size(); i++) {
        install.add(command(commands.getValue().get(i), "install[" + i + "]"));
      }
    }
    List<String> test = command(required(fields, "test", map), "test");
    Duration timeout = DEFAULT_TEST_TIMEOUT;
    if (fields.containsKey("testTimeout")) {
      Node node = fields.get("testTimeout").getValueNode();
      String value = scalar(node, "testTimeout");
      try {
        timeout = Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw error(
            node, "testTimeout", "'" + value + "' is not an ISO-8601 duration such as PT30M");
      }
      if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TEST_TIMEOUT) > 0) {
        throw error(node, "testTimeout", "must be more than zero and at most " + MAX_TEST_TIMEOUT);
      }
    }
    List<String> reports = new ArrayList<>();
    if (fields.containsKey("testReports")) {
      SequenceNode globs = sequence(fields.get("testReports").getValueNode(), "testReports");
      for (int i = 0; i < globs.getValue().size(); i++) {
        Node node = globs.getValue().get(i);
        reports.add(glob(node, "testReports[" + i + "]", scalar(node, "testReports[" + i + "]")));
      }
    }
    List<Rule> rules = new ArrayList<>();
    SequenceNode list = sequence(required(fields, "rules", map), "rules");
    for (int i = 0; i < list.getValue().size(); i++) {
      rules.add(rule(list.getValue().get(i), "rules[" + i + "]"));
    }
    return new UpgradeRules(
        prefix, List.copyOf(install), test, timeout, List.copyOf(reports), List.copyOf(rules));
  }

  private Rule rule(Node node, String field) {
    if (!(node instanceof MappingNode map)) {
      throw error(node, field, "must be a mapping with path, decision, reason");
    }
    Map<String, NodeTuple> fields = fields(map, field + ".", RULE);
    Node pathNode = required(fields, "path", map, field + ".path");
    String path = glob(pathNode, field + ".path", scalar(pathNode, field + ".path"));
    Node decisionNode = required(fields, "decision", map, field + ".decision");
    String wire = scalar(decisionNode, field + ".decision");
    Decision decision =
        Decision.of(wire)
            .orElseThrow(
                () ->
                    error(
                        decisionNode,
                        field + ".decision",
                        "'"
                            + wire
                            + "' is not one of "
                            + Arrays.stream(Decision.values())
                                .map(Decision::wire)
                                .collect(Collectors.joining(", "))));
    Node reasonNode = required(fields, "reason", map, field + ".reason");
    String reason = scalar(reasonNode, field + ".reason");
    return new Rule(path, decision, reason, line(map));
  }

  private String glob(Node node, String field, String glob) {
    if (glob.startsWith("/") || glob.contains("\\")) {
      throw error(node, field, "'" + glob + "' must be a relative path glob with / separators");
    }
    try {
      UpgradeRules.Rule.compile(glob);
    } catch (IllegalArgumentException e) {
      String why = e instanceof PatternSyntaxException p ? p.getDescription() : e.getMessage();
      throw error(node, field, "'" + glob + "' is not a valid glob: " + why);
    }
    return glob;
  }

  private List<String> command(Node node, String field) {
    SequenceNode args = sequence(node, field);
    if (args.getValue().isEmpty()) {
      throw error(node, field, "must name a program: an argument array such as [make, test]");
    }
    List<String> command = new ArrayList<>();
    for (int i = 0; i < args.getValue().size(); i++) {
      command.add(scalar(args.getValue().get(i), field + "[" + i + "]"));
    }
    return List.copyOf(command);
  }

  private Map<String, NodeTuple> fields(MappingNode map, String parent, Set<String> allowed) {
    Map<String, NodeTuple> fields = new LinkedHashMap<>();
    for (NodeTuple tuple : map.getValue()) {
      String key = scalar(tuple.getKeyNode(), parent + "(key)");
      if (!allowed.contains(key)) {
        throw error(
            tuple.getKeyNode(),
            parent + key,
            "is not a known field; expected one of "
                + String.join(", ", allowed.stream().sorted().toList()));
      }
      fields.put(key, tuple);
    }
    return fields;
  }

  private Node required(Map<String, NodeTuple> fields, String key, MappingNode map) {
    return required(fields, key, map, key);
  }

  private Node required(Map<String, NodeTuple> fields, String key, MappingNode map, String field) {
    NodeTuple tuple = fields.get(key);
    if (tuple == null) {
      throw error(map, field, "is required");
    }
    return tuple.getValueNode();
  }

  private SequenceNode sequence(Node node, String field) {
    if (node instanceof SequenceNode seq) {
      return seq;
    }
    throw error(node, field, "must be a list");
  }

  private String scalar(Node node, String field) {
    if (node instanceof ScalarNode s && !s.getValue().isBlank()) {
      return s.getValue().strip();
    }
    throw error(
        node, field, node instanceof ScalarNode ? "must not be empty" : "must be a single value");
  }

  private RulesException error(Node node, String field, String problem) {
    return new RulesException(file, line(node), field, problem);
  }

  private static int line(Node node) {
    return node.getStartMark() == null ? 1 : node.getStartMark().getLine() + 1;
  }
}
