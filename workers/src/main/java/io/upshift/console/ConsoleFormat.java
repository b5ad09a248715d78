package io.upshift.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.springframework.stereotype.Component;

/** How the console's templates print times, durations, sizes and JSON ({@code @fmt} there). */
@Component("fmt")
public class ConsoleFormat {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private final ObjectMapper json;

  ConsoleFormat(ObjectMapper json) {
    this.json = json.copy().enable(SerializationFeature.INDENT_OUTPUT);
  }

  public String time(Instant at) {
    return at == null ? "" : TIME.format(at);
  }

  /** True when {@code at} is less than {@code window} (ISO-8601) from now, e.g. a due date. */
  public boolean within(Instant at, String window) {
    return at != null && at.isBefore(Instant.now().plus(java.time.Duration.parse(window)));
  }

  public String duration(Long millis) {
    if (millis == null) {
      return "";
    }
    if (millis < 1000) {
      return millis + " ms";
    }
    if (millis < 120_000) {
      return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
    return String.format(Locale.ROOT, "%d min %d s", millis / 60_000, (millis / 1000) % 60);
  }

  public String size(Number bytes) {
    if (bytes == null) {
      return "";
    }
    double value = bytes.doubleValue();
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0
        ? bytes.longValue() + " B"
        : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  public String json(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      return String.valueOf(value);
    }
  }

  public String shortId(String id) {
    return id == null || id.length() <= 8 ? id : id.substring(0, 8);
  }
}
