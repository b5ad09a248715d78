package io.upshift.paths;

import java.util.ArrayList;
import java.util.List;

/** Normalised {@code pg_dump --schema-only} output and a line diff of two of them. */
final class SchemaDiff {

  static final int MAX_LINES = 40;

  private SchemaDiff() {}

  /**
   * The statements of a dump without what differs between identical schemas: comments, blank lines,
   * session settings, psql meta-commands (pg_dump's {@code \restrict} keys are random).
   */
  static List<String> normalise(String dump) {
    List<String> lines = new ArrayList<>();
    for (String line : dump.split("\\R")) {
      String l = line.stripTrailing();
      if (l.isBlank()
          || l.startsWith("--")
          || l.startsWith("\\")
          || l.startsWith("SET ")
          || l.startsWith("SELECT pg_catalog.set_config")) {
        continue;
      }
      lines.add(l);
    }
    return lines;
  }

  /**
   * Lines only in {@code expected} ({@code -}) and only in {@code actual} ({@code +}), in order.
   */
  static List<String> diff(String expected, String actual) {
    List<String> a = normalise(expected);
    List<String> b = normalise(actual);
    if (a.equals(b)) {
      return List.of();
    }
    // Longest common subsequence: small dumps, quadratic is fine.
    int[][] lcs = new int[a.size() + 1][b.size() + 1];
    for (int i = a.size() - 1; i >= 0; i--) {
      for (int j = b.size() - 1; j >= 0; j--) {
        lcs[i][j] =
            a.get(i).equals(b.get(j))
                ? lcs[i + 1][j + 1] + 1
                : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while ((i < a.size() || j < b.size()) && out.size() < MAX_LINES) {
      if (i < a.size() && j < b.size() && a.get(i).equals(b.get(j))) {
        i++;
        j++;
      } else if (j >= b.size() || (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1])) {
        out.add("- " + a.get(i++));
      } else {
        out.add("+ " + b.get(j++));
      }
    }
    return out;
  }
}
