package io.upshift.compose;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One hop's downtime, two ways: until every service started ({@link #seconds()}: from the hop's
 * stop began) and as users saw it ({@link #userVisibleSeconds()}: from when an entry point first
 * stopped answering until all answered again).
 */
record Downtime(Instant start, Instant end, Instant userVisibleStart, Instant userVisibleEnd) {

  /**
   * The hop's downtime from the stop's variables, or null when this hop's stop set none. Variables
   * of another hop ({@code downtimeHop}) are not this hop's: a hop's downtime never includes an
   * earlier hop or the time between hops. An instance started before {@code downtimeHop} existed
   * has none and keeps its {@code downtimeStartedAt} as before.
   *
   * @param allStarted when every service was started and the after-start hooks had run
   * @param watched whether the release declares entry points to watch
   * @param answered when every entry point answered again, if it did in time
   * @param clock when they did not: the downtime lasted at least until now
   */
  static Downtime of(
      String hop,
      Map<String, Object> vars,
      Instant allStarted,
      boolean watched,
      Optional<Instant> answered,
      Clock clock) {
    Object of = vars.get("downtimeHop");
    if (of != null && !of.equals(hop)) {
      return null;
    }
    if (!(vars.get("downtimeStartedAt") instanceof String started)) {
      return null;
    }
    Instant start = Instant.parse(started);
    Instant userVisibleStart =
        vars.get("userVisibleDowntimeStartedAt") instanceof String s ? Instant.parse(s) : start;
    Instant userVisibleEnd = !watched ? allStarted : answered.orElseGet(clock::instant);
    if (userVisibleEnd.isBefore(userVisibleStart)) {
      userVisibleEnd = userVisibleStart;
    }
    return new Downtime(start, allStarted, userVisibleStart, userVisibleEnd);
  }

  double seconds() {
    return seconds(start, end);
  }

  double userVisibleSeconds() {
    return seconds(userVisibleStart, userVisibleEnd);
  }

  /** The sum of one figure over the hops of {@code downtimeByHop}. */
  static double sum(Map<String, Object> byHop, String key) {
    long millis = 0;
    for (Object hop : byHop.values()) {
      if (hop instanceof Map<?, ?> figures && figures.get(key) instanceof Number n) {
        millis += Math.round(n.doubleValue() * 1000);
      }
    }
    return millis / 1000.0;
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis() / 1000.0;
  }
}
