package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The entry-point poller on a fake clock: when users lost the platform and got it back. */
class EntryPointPollerTest {

  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final EntryPointPoller.Target API =
      new EntryPointPoller.Target("api", URI.create("http://127.0.0.1:1/health"), 200);
  private static final EntryPointPoller.Target ADMIN =
      new EntryPointPoller.Target("admin", URI.create("http://127.0.0.1:2/health"), 200);

  /** A clock that only the poller's sleeps and the probes' latency move. */
  static final class FakeClock extends Clock {
    Instant now = T0;

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  private final FakeClock clock = new FakeClock();
  private final List<Duration> sleeps = new ArrayList<>();
  private final List<String> probed = new ArrayList<>();

  /** Each probe takes 10 ms; {@code up} says whether a target answers at that moment. */
  private EntryPointPoller poller(
      List<EntryPointPoller.Target> targets, Predicate<EntryPointPoller.Target> up) {
    return new EntryPointPoller(
        targets,
        t -> {
          probed.add(t.name() + "@" + ms());
          boolean answers = up.test(t);
          clock.advance(Duration.ofMillis(10));
          return answers;
        },
        clock,
        d -> {
          sleeps.add(d);
          clock.advance(d);
        });
  }

  private long ms() {
    return Duration.between(T0, clock.now).toMillis();
  }

  private boolean after(long millis) {
    return ms() >= millis;
  }

  @Test
  void theFirstFailureIsWhenTheFailingProbeWasSentAndRoundsAre100MsApart() throws Exception {
    EntryPointPoller p = poller(List.of(API, ADMIN), t -> !(t == ADMIN && after(335)));

    Optional<Instant> first = p.outageStart(() -> false, Duration.ofMinutes(1));

    // rounds at 0, 100, 200, 300 (api, admin 10 ms later), 400: admin fails at 410
    assertThat(first).contains(T0.plusMillis(410));
    assertThat(sleeps).allMatch(d -> d.equals(Duration.ofMillis(80)));
    assertThat(probed).startsWith("api@0", "admin@10", "api@100", "admin@110");
  }

  @Test
  void aSlowAnswerBeforeTheServiceStoppedIsNotTheOutage() throws Exception {
    // api misses its answers from 300 to 350 (a probe timing out), answers again, and is down for
    // good from 700 on; the stop ends at 1000
    EntryPointPoller p = poller(List.of(API), t -> !(after(300) && !after(350)) && !after(700));

    Optional<Instant> outage = p.outageStart(() -> after(1000), Duration.ofMinutes(1));

    assertThat(outage).contains(T0.plusMillis(700));
    assertThat(probed).contains("api@300", "api@400", "api@700", "api@900");
  }

  @Test
  void noFailureWhileTheStopRunsIsEmptyAndPollingEndsWithTheStop() throws Exception {
    EntryPointPoller p = poller(List.of(API), t -> true);

    Optional<Instant> first = p.outageStart(() -> after(1000), Duration.ofMinutes(1));

    assertThat(first).isEmpty();
    assertThat(probed).hasSize(10).last().isEqualTo("api@900");
  }

  @Test
  void everyLoopIsBounded() throws Exception {
    EntryPointPoller p = poller(List.of(API), t -> true);
    assertThat(p.outageStart(() -> false, Duration.ofSeconds(2))).isEmpty();
    assertThat(probed).hasSize(20);

    probed.clear();
    EntryPointPoller down = poller(List.of(API), t -> false);
    assertThat(down.allAnswering(() -> false, Duration.ofSeconds(3))).isEmpty();
    assertThat(probed).hasSize(30);
  }

  @Test
  void backWhenEveryEntryPointAnswersInOneRound() throws Exception {
    // api is back at 1200 ms, admin at 1530 ms
    EntryPointPoller p = poller(List.of(API, ADMIN), t -> t == API ? after(1200) : after(1530));

    Optional<Instant> back = p.allAnswering(() -> false, Duration.ofMinutes(1));

    // round at 1600: api 1600, admin 1610, round ends 1620
    assertThat(back).contains(T0.plusMillis(1620));
    assertThat(probed).contains("api@1500").contains("admin@1410").doesNotContain("admin@1110");
  }

  @Test
  void aCancelledWatchAndOneWithoutEntryPointsSayNothing() throws Exception {
    assertThat(poller(List.of(API), t -> false).allAnswering(() -> after(500), Duration.ofHours(1)))
        .isEmpty();
    EntryPointPoller none = poller(List.of(), t -> true);
    assertThat(none.hasTargets()).isFalse();
    assertThat(none.outageStart(() -> false, Duration.ofHours(1))).isEmpty();
    assertThat(none.allAnswering(() -> false, Duration.ofHours(1))).isEmpty();
  }

  @Test
  void aSlowProbeLeavesNoPause() throws Exception {
    List<Duration> waits = sleeps;
    EntryPointPoller p =
        new EntryPointPoller(
            List.of(API),
            t -> {
              clock.advance(Duration.ofMillis(250));
              return after(1000);
            },
            clock,
            waits::add);
    assertThat(p.allAnswering(() -> false, Duration.ofMinutes(1))).contains(T0.plusMillis(1000));
    assertThat(waits).isEmpty();
  }
}
