package io.upshift.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the console prints times, durations, sizes and due dates. */
class ConsoleFormatTest {

  final ConsoleFormat fmt = new ConsoleFormat(new ObjectMapper());

  @Test
  void timesAreUtcAndMissingOnesBlank() {
    assertThat(fmt.time(Instant.parse("2026-11-22T03:04:05Z")))
        .isEqualTo("2026-11-22 03:04:05 UTC");
    assertThat(fmt.time(null)).isEmpty();
  }

  @Test
  void durationsAndSizesReadLikeAPersonWouldSayThem() {
    assertThat(fmt.duration(250L)).isEqualTo("250 ms");
    assertThat(fmt.duration(5_800L)).isEqualTo("5.8 s");
    assertThat(fmt.duration(185_000L)).isEqualTo("3 min 5 s");
    assertThat(fmt.duration(null)).isEmpty();
    assertThat(fmt.size(512)).isEqualTo("512 B");
    assertThat(fmt.size(13_720)).isEqualTo("13.4 KiB");
    assertThat(fmt.size(3L * 1024 * 1024 * 1024)).isEqualTo("3.0 GiB");
  }

  @Test
  void aDueDateWithinTheWindowIsSoon() {
    assertThat(fmt.within(Instant.now().plus(Duration.ofHours(2)), "PT24H")).isTrue();
    assertThat(fmt.within(Instant.now().plus(Duration.ofDays(3)), "PT24H")).isFalse();
    assertThat(fmt.within(null, "PT24H")).isFalse();
  }

  @Test
  void idsAreShortenedAndJsonIsIndented() {
    assertThat(fmt.shortId("8f9e4b8e-1a7c-4bb3")).isEqualTo("8f9e4b8e");
    assertThat(fmt.shortId(null)).isNull();
    assertThat(fmt.json(Map.of("a", 1))).contains("\n").contains("\"a\" : 1");
  }
}
