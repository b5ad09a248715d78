package io.upshift.metrics;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression (or a Grafana {@code label_values(metric, label)} query)
 * selects: what is left once strings, label matchers, ranges, grouping clauses, Grafana variables,
 * functions and keywords are taken out.
 */
final class PromQlNames {

  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()");
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on");

  private PromQlNames() {}

  static Set<String> in(String expr) {
    String rest = LABEL_VALUES.matcher(expr).replaceAll("$1");
    rest = rest.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ");
    rest = rest.replaceAll("\\{[^}]*}", " ");
    rest = rest.replaceAll("\\[[^]]*]", " ");
    rest = GROUPING.matcher(rest).replaceAll(" ");
    rest = rest.replaceAll("\\boffset\\s+\\S+", " ");
    rest = rest.replaceAll("\\$\\{?\\w+}?", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(rest);
    while (m.find()) {
      if (!KEYWORDS.contains(m.group(1).toLowerCase())) {
        names.add(m.group(1));
      }
    }
    return names;
  }
}
