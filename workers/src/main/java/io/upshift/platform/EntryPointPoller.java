package io.upshift.platform;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
    return new EntryPointPoller(
        targets, new HttpProbe(), Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
  }

  boolean hasTargets() {
    return !targets.isEmpty();
  }

  /**
   * Polls until {@code done} says so (checked before every round) or {@code max} has passed, and
   * returns when the first failing probe was sent: the first moment an entry point did not answer.
   * Empty if every probe answered (or there is nothing to poll).
   */
  Optional<Instant> firstFailure(BooleanSupplier done, Duration max) throws InterruptedException {
    Instant deadline = clock.instant().plus(max);
    while (!targets.isEmpty() && !done.getAsBoolean() && clock.instant().isBefore(deadline)) {
      Instant round = clock.instant();
      for (Target t : targets) {
        Instant sent = clock.instant();
        if (!probe.answers(t)) {
          return Optional.of(sent);
        }
      }
      pause(round);
    }
    return Optional.empty();
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
   * One GET per probe on a connection of its own (a pooled connection that a stopping server closed
   * would look like downtime); no answer within {@link #TIMEOUT} counts as not answering.
   */
  static final class HttpProbe implements Probe {

    static final Duration TIMEOUT = Duration.ofSeconds(1);

    @Override
    public boolean answers(Target target) throws InterruptedException {
      try (HttpClient client =
          HttpClient.newBuilder()
              .connectTimeout(TIMEOUT)
              .followRedirects(HttpClient.Redirect.NEVER)
              .version(HttpClient.Version.HTTP_1_1)
              .build()) {
        HttpResponse<Void> response =
            client.send(
                HttpRequest.newBuilder(target.url())
                    .timeout(TIMEOUT)
                    .header("User-Agent", "upshift-downtime-probe")
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        return response.statusCode() == target.expectStatus();
      } catch (IOException e) {
        return false;
      }
    }
  }
}
