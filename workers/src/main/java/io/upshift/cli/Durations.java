package io.upshift.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people type them ({@code 90s}, {@code 5m}, {@code 1h30m}) or as ISO-8601. */
final class Durations {

  private static final Pattern SHORT = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses the value of {@code option}; a positive duration like {@code 90s}, {@code 5m}, {@code
   * 1h30m}, {@code 500ms} or ISO-8601 {@code PT90S}.
   */
  static Duration parse(String option, String text) {
    String value = text.strip().toLowerCase(Locale.ROOT);
    Duration duration = null;
    try {
      if (value.startsWith("p")) {
        duration = Duration.parse(value.toUpperCase(Locale.ROOT));
      } else if (SHORT.matcher(value).matches()) {
        duration = Duration.ZERO;
        Matcher part = PART.matcher(value);
        while (part.find()) {
          long n = Long.parseLong(part.group(1));
          duration =
              duration.plus(
                  switch (part.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                  });
        }
      }
    } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
      duration = null;
    }
    if (duration == null) {
      throw CliException.usage(
          option
              + " '"
              + text
              + "' is not a duration: use e.g. 90s, 5m, 1h30m, 500ms or ISO-8601 like PT90S");
    }
    if (duration.isNegative() || duration.isZero()) {
      throw CliException.usage(option + " '" + text + "' must be longer than zero");
    }
    return duration;
  }

  /**
   * Short and readable: {@code 420ms}, {@code 12.3s}, {@code 5s}, {@code 1m 32s}, {@code 2h 05m}.
   */
  static String format(Duration duration) {
    long ms = Math.max(0, duration.toMillis());
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000 && ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long seconds = ms / 1000;
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm %02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh %02dm", seconds / 3600, seconds % 3600 / 60);
  }
}
