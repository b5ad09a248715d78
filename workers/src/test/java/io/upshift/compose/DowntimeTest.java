package io.upshift.compose;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A hop's two downtime figures from the stop's variables, and their totals over hops. */
class DowntimeTest {

  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final Clock LATER = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);

  private static Map<String, Object> stop(String hop, long startMs, long userVisibleMs) {
    Map<String, Object> vars = new LinkedHashMap<>();
    vars.put("downtimeHop", hop);
    vars.put("downtimeStartedAt", T0.plusMillis(startMs).toString());
    vars.put("userVisibleDowntimeStartedAt", T0.plusMillis(userVisibleMs).toString());
    return vars;
  }

  @Test
  void usersSeeFromTheFirstUnansweredPollUntilAllEntryPointsAnswer() {
    Downtime d =
        Downtime.of(
            "1.1.0",
            stop("1.1.0", 0, 2_300),
            T0.plusMillis(9_200),
            true,
            Optional.of(T0.plusMillis(4_000)),
            LATER);
    assertThat(d.seconds()).isEqualTo(9.2);
    assertThat(d.userVisibleSeconds()).isEqualTo(1.7);
  }

  @Test
  void withoutEntryPointsUsersSeeItUntilAllServicesStarted() {
    Downtime d =
        Downtime.of(
            "1.1.0", stop("1.1.0", 0, 3_000), T0.plusMillis(8_000), false, Optional.empty(), LATER);
    assertThat(d.userVisibleSeconds()).isEqualTo(5.0);
  }

  @Test
  void entryPointsThatNeverAnswerCountUntilUpshiftGaveUp() {
    Downtime d =
        Downtime.of(
            "1.1.0", stop("1.1.0", 0, 1_000), T0.plusMillis(8_000), true, Optional.empty(), LATER);
    assertThat(d.userVisibleSeconds()).isEqualTo(59.0);
  }

  @Test
  void anotherHopsStopIsNotThisHopsDowntime() {
    assertThat(
            Downtime.of(
                "1.2.0", stop("1.1.0", 0, 0), T0.plusSeconds(5), true, Optional.empty(), LATER))
        .isNull();
    assertThat(Downtime.of("1.2.0", Map.of(), T0, true, Optional.empty(), LATER)).isNull();
  }

  @Test
  void anInstanceFromBeforeDowntimeHopKeepsItsStart() {
    Map<String, Object> old = Map.of("downtimeStartedAt", T0.toString());
    Downtime d = Downtime.of("1.2.0", old, T0.plusSeconds(6), true, Optional.empty(), LATER);
    assertThat(d.seconds()).isEqualTo(6.0);
    assertThat(d.userVisibleStart()).isEqualTo(T0);
  }

  @Test
  void totalsSumTheHops() {
    Map<String, Object> byHop = new LinkedHashMap<>();
    byHop.put("1.1.0", Map.of("downtimeSeconds", 6.2, "userVisibleDowntimeSeconds", 1.7));
    byHop.put("1.2.0", Map.of("downtimeSeconds", 5, "userVisibleDowntimeSeconds", 2.2));
    assertThat(Downtime.sum(byHop, "downtimeSeconds")).isEqualTo(11.2);
    assertThat(Downtime.sum(byHop, "userVisibleDowntimeSeconds")).isEqualTo(3.9);
  }
}
