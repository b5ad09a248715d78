package io.upshift.platform;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a hop stops the application services: one group per {@code stopOrder}, groups in ascending
 * order, the services of a group at the same time. Each service waits its own grace period before
 * compose kills it: the descriptor's {@code stopGraceSeconds}, else the compose file's {@code
 * stop_grace_period}, else compose's default of 10 s.
 *
 * <p>Within a group, services with different grace periods are stopped by concurrent compose calls,
 * one per distinct grace period ({@link Group#byGrace}), rather than by one call with the group's
 * longest: a service declared to be killed after 2 s is killed after 2 s even when a sibling may
 * take 30 s. The group takes as long as its slowest service either way; the service's own value is
 * what its owner declared, and a process that ignores SIGTERM would otherwise keep serving (and
 * writing) for the sibling's grace period.
 */
record StopPlan(List<Group> groups) {

  /** Compose's grace period when neither the descriptor nor the compose file gives one. */
  static final Duration COMPOSE_DEFAULT_GRACE = Duration.ofSeconds(10);

  /** One {@code stopOrder}: its services with their grace periods, in descriptor order. */
  record Group(int stopOrder, Map<String, Duration> grace) {

    /**
     * The group's services by grace period in whole seconds as {@code compose stop -t} takes it
     * (rounded up: never shorter than declared), shortest first.
     */
    Map<Integer, List<String>> byGrace() {
      Map<Integer, List<String>> by = new TreeMap<>();
      grace.forEach(
          (service, d) -> by.computeIfAbsent(seconds(d), k -> new ArrayList<>()).add(service));
      return by;
    }

    List<String> services() {
      return List.copyOf(grace.keySet());
    }
  }

  /**
   * The plan for {@code descriptor}'s application services.
   *
   * @param composeGrace each service's {@code stop_grace_period} from the compose file, if set
   */
  static StopPlan of(PlatformDescriptor descriptor, Map<String, Duration> composeGrace) {
    Map<Integer, Map<String, Duration>> groups = new TreeMap<>();
    for (PlatformDescriptor.Service s : descriptor.applicationStopOrder()) {
      Duration grace =
          s.stopGraceSeconds() != null
              ? Duration.ofSeconds(s.stopGraceSeconds())
              : composeGrace.getOrDefault(s.name(), COMPOSE_DEFAULT_GRACE);
      groups.computeIfAbsent(s.stopOrder(), k -> new LinkedHashMap<>()).put(s.name(), grace);
    }
    List<Group> out = new ArrayList<>();
    groups.forEach((order, grace) -> out.add(new Group(order, grace)));
    return new StopPlan(List.copyOf(out));
  }

  /** Every service of the plan, in stop order. */
  List<String> services() {
    return groups.stream().flatMap(g -> g.services().stream()).toList();
  }

  /** A duration in whole seconds, rounded up. */
  static int seconds(Duration d) {
    long s = d.toSeconds();
    return (int) (d.equals(Duration.ofSeconds(s)) ? s : s + 1);
  }

  /**
   * The {@code stop_grace_period} of every service of a compose file that sets one, read the way
   * compose reads the file: YAML anchors and merge keys ({@code <<: *app}) resolved, {@code ${VAR}}
   * interpolated with the platform's .env.
   */
  static Map<String, Duration> composeGrace(String composeYaml, String composeFile, EnvFile env) {
    Map<String, Duration> grace = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : ComposeYaml.services(composeYaml, composeFile).entrySet()) {
      if (e.getValue() instanceof Map<?, ?> definition
          && definition.get("stop_grace_period") != null) {
        Object raw = definition.get("stop_grace_period");
        String text = raw instanceof String s && env != null ? env.interpolate(s) : raw.toString();
        String at = composeFile + ": services." + e.getKey() + ".stop_grace_period";
        grace.put(e.getKey(), duration(text, at));
      }
    }
    return grace;
  }

  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|µs|ns)");

  /**
   * A compose duration: Go's notation ({@code 10s}, {@code 1m30s}, {@code 1.5s}, {@code 500ms},
   * {@code 1h}) or a bare number of seconds.
   *
   * @param at where the value comes from, for the error message
   */
  static Duration duration(String text, String at) {
    String value = text == null ? "" : text.strip();
    if (value.matches("\\d+(\\.\\d+)?")) {
      return nanos(new BigDecimal(value), 1_000_000_000L);
    }
    Matcher m = PART.matcher(value);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      end = m.end();
      long unit =
          switch (m.group(2)) {
            case "h" -> 3_600_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "s" -> 1_000_000_000L;
            case "ms" -> 1_000_000L;
            case "us", "µs" -> 1_000L;
            default -> 1L;
          };
      total = total.plus(nanos(new BigDecimal(m.group(1)), unit));
    }
    if (value.isEmpty() || end != value.length()) {
      throw new DescriptorException(
          at + ": '" + text + "' is not a duration (e.g. 10s, 1m30s, 500ms)");
    }
    return total;
  }

  private static Duration nanos(BigDecimal amount, long unitNanos) {
    return Duration.ofNanos(
        amount
            .multiply(BigDecimal.valueOf(unitNanos))
            .setScale(0, RoundingMode.HALF_UP)
            .longValueExact());
  }
}
