package io.upshift.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The samples of a Prometheus text exposition ({@code /actuator/prometheus}), for assertions. */
record PrometheusScrape(List<Sample> samples) {

  record Sample(String name, Map<String, String> labels, double value) {}

  static PrometheusScrape parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      String name = line.substring(0, i);
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i = labels(line, i + 1, labels);
      }
      String value = line.substring(i).trim().split(" ")[0];
      samples.add(new Sample(name, labels, Double.parseDouble(value.replace("Inf", "Infinity"))));
    }
    return new PrometheusScrape(List.copyOf(samples));
  }

  /** Names of all series, e.g. {@code upshift_run_duration_seconds_bucket}. */
  Set<String> names() {
    Set<String> names = new TreeSet<>();
    samples.forEach(s -> names.add(s.name()));
    return names;
  }

  /** Samples of {@code name} whose labels include the given pairs ({@code key, value, ...}). */
  List<Sample> find(String name, String... labelPairs) {
    return samples.stream()
        .filter(s -> s.name().equals(name))
        .filter(
            s -> {
              for (int k = 0; k < labelPairs.length; k += 2) {
                if (!labelPairs[k + 1].equals(s.labels().get(labelPairs[k]))) {
                  return false;
                }
              }
              return true;
            })
        .toList();
  }

  /**
   * The value of the one sample of {@code name} with the given labels; fails unless exactly one.
   */
  double value(String name, String... labelPairs) {
    List<Sample> found = find(name, labelPairs);
    if (found.size() != 1) {
      throw new AssertionError(
          found.size()
              + " samples of "
              + name
              + " with labels "
              + List.of(labelPairs)
              + "; all of "
              + name
              + ": "
              + find(name));
    }
    return found.get(0).value();
  }

  private static int labels(String line, int i, Map<String, String> labels) {
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String key = line.substring(i, eq).trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // skip ="
      while (line.charAt(j) != '"') {
        char c = line.charAt(j);
        if (c == '\\') {
          char next = line.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
        j++;
      }
      labels.put(key, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    return i + 1;
  }
}
