package io.upshift.platform;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Polls a platform's user-facing entry points (the descriptor's {@code healthChecks[]}) in rounds
 * every {@link #INTERVAL}, to see downtime as users see it: when the first one stops answering and
 * when all answer again. Every loop is bounded by a deadline. Knows nothing about Docker or Zeebe;
 * the probe, the clock and the sleep are given, so tests run it on a fake clock.
 */
final class EntryPointPoller {

  /** How often the entry points are polled. */
  static final Duration INTERVAL = Duration.ofMillis(100);

  /** An entry point: its health URL and the status that means it answers. */
  record Target(String name, URI url, int expectStatus) {}

  /** Whether a target answers now. */
  interface Probe {
    boolean answers(Target target) throws InterruptedException;
  }

  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final List<Target> targets;
  private final Probe probe;
  private final Clock clock;
  private final Sleeper sleeper;

  EntryPointPoller(List<Target> targets, Probe probe, Clock clock, Sleeper sleeper) {
    this.targets = List.copyOf(targets);
    this.probe = probe;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** A poller of real HTTP endpoints on the system clock. */
  static EntryPointPoller http(List<Target> targets) {
    return onSystemClock(targets, new HttpProbe());
  }

  /** A poller with its own probe on the system clock. */
  static EntryPointPoller onSystemClock(List<Target> targets, Probe probe) {
    return new EntryPointPoller(targets, probe, Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
  }

  boolean hasTargets() {
    return !targets.isEmpty();
  }

  /**
   * Polls until {@code done} says so (checked before every round) or {@code max} has passed, and
   * returns when the outage still going on at the end began: the failing probe that started the
   * last run of rounds in which some entry point did not answer. A round in which all answer ends
   * an outage, so a slow answer before the service really stopped (a probe timing out on a loaded
   * machine) does not count. Empty if the last round answered (or there is nothing to poll).
   */
  Optional<Instant> outageStart(BooleanSupplier done, Duration max) throws InterruptedException {
    Instant deadline = clock.instant().plus(max);
    Instant outage = null;
    while (!targets.isEmpty() && !done.getAsBoolean() && clock.instant().isBefore(deadline)) {
      Instant round = clock.instant();
      boolean all = true;
      for (Target t : targets) {
        Instant sent = clock.instant();
        if (!probe.answers(t)) {
          outage = outage == null ? sent : outage;
          all = false;
          break;
        }
      }
      if (all) {
        outage = null;
      }
      pause(round);
    }
    return Optional.ofNullable(outage);
  }

  /**
   * Polls until every entry point answers in one round and returns when that round ended; empty if
   * that did not happen within {@code max} or before {@code cancelled} said so. With nothing to
   * poll, empty: there is no user-facing answer to wait for.
   */
  Optional<Instant> allAnswering(BooleanSupplier cancelled, Duration max)
      throws InterruptedException {
    Instant deadline = clock.instant().plus(max);
    while (!targets.isEmpty() && !cancelled.getAsBoolean() && clock.instant().isBefore(deadline)) {
      Instant round = clock.instant();
      boolean all = true;
      for (Target t : targets) {
        if (!probe.answers(t)) {
          all = false;
          break;
        }
      }
      if (all) {
        return Optional.of(clock.instant());
      }
      pause(round);
    }
    return Optional.empty();
  }

  private void pause(Instant roundStarted) throws InterruptedException {
    Duration left = INTERVAL.minus(Duration.between(roundStarted, clock.instant()));
    if (!left.isNegative() && !left.isZero()) {
      sleeper.sleep(left);
    }
  }

  /**
   * One GET per probe on a connection of its own ({@code Connection: close}: a pooled connection
   * that a stopping server closed would look like downtime); no answer within {@link #TIMEOUT}
   * counts as not answering. {@link java.net.HttpURLConnection} rather than {@code HttpClient}: ten
   * probes a second must not start a client (and its selector thread) each.
   */
  static final class HttpProbe implements Probe {

    static final Duration TIMEOUT = Duration.ofSeconds(1);

    @Override
    public boolean answers(Target target) throws InterruptedException {
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      java.net.HttpURLConnection c = null;
      try {
        c = (java.net.HttpURLConnection) target.url().toURL().openConnection();
        c.setConnectTimeout((int) TIMEOUT.toMillis());
        c.setReadTimeout((int) TIMEOUT.toMillis());
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        c.setRequestProperty("Connection", "close");
        c.setRequestProperty("User-Agent", "upshift-downtime-probe");
        int status = c.getResponseCode();
        try (var body = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
          if (body != null) {
            body.skip(Long.MAX_VALUE);
          }
        }
        return status == target.expectStatus();
      } catch (IOException | IllegalArgumentException e) {
        return false;
      } finally {
        if (c != null) {
          c.disconnect();
        }
      }
    }
  }
}
