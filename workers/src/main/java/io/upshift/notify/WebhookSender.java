package io.upshift.notify;

import io.upshift.metrics.UpshiftMetrics;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Delivers notifications on a small executor of its own, so a slow or dead receiver never holds up
 * a job worker. Each delivery is retried {@value #RETRIES} times (after 1 s, 2 s, 4 s, or what a
 * 429's {@code Retry-After} asks, up to 30 s) when the receiver cannot be reached, times out, or
 * answers 5xx or 429; other answers are final. A delivery given up is logged as a WARN naming the
 * webhook and the event, never the URL or the headers (either may hold a credential), and counted
 * as {@code failed}.
 *
 * <p>The executor is bounded: at most {@value #CAPACITY} pieces of work (deliveries, with their
 * retries, and payload building) wait at a time; beyond that a notification is dropped with a WARN.
 * Redirects are not followed: they would carry the headers elsewhere.
 */
@Component
class WebhookSender implements DisposableBean {

  static final int RETRIES = 3;
  static final int CAPACITY = 256;
  static final String EVENT_HEADER = "X-Upshift-Event";
  static final String DELIVERY_HEADER = "X-Upshift-Delivery";
  static final String TIMESTAMP_HEADER = "X-Upshift-Timestamp";
  static final String SIGNATURE_HEADER = "X-Upshift-Signature";

  private static final int THREADS = 2;
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(30);
  private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);
  private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);

  private final UpshiftMetrics metrics;
  private final Map<String, HttpClient> clients = new LinkedHashMap<>();
  private final ScheduledThreadPoolExecutor executor;
  private final AtomicInteger queued = new AtomicInteger();

  WebhookSender(NotifyProperties properties, UpshiftMetrics metrics) {
    this.metrics = metrics;
    AtomicInteger threads = new AtomicInteger();
    this.executor =
        new ScheduledThreadPoolExecutor(
            THREADS,
            task -> {
              Thread thread = new Thread(task, "upshift-notify-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    // At shutdown, waiting retries are dropped rather than holding the JVM.
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    for (NotifyProperties.Webhook webhook : properties.webhooks()) {
      clients.put(
          webhook.name(),
          HttpClient.newBuilder()
              .connectTimeout(webhook.timeout())
              .followRedirects(HttpClient.Redirect.NEVER)
              .version(HttpClient.Version.HTTP_1_1)
              .build());
      metrics.notificationsConfigured(webhook.name(), webhook.subscribedEvents());
      log.info(
          "Webhook '{}' ({}) receives {}",
          webhook.name(),
          webhook.format().name().toLowerCase(Locale.ROOT),
          webhook.events().isEmpty() ? "every event" : String.join(", ", webhook.events()));
    }
  }

  /**
   * Runs {@code work} (e.g. building a notification) on the executor; false when the executor is
   * full or shut down. Never throws; a failure of {@code work} is logged.
   */
  boolean execute(String what, Runnable work) {
    if (!reserve()) {
      return false;
    }
    try {
      executor.execute(
          () -> {
            try {
              work.run();
            } catch (RuntimeException e) {
              log.warn("Preparing {} failed: {}", what, e.toString());
            } finally {
              queued.decrementAndGet();
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      queued.decrementAndGet();
      return false;
    }
  }

  /** A notification that never reached the sending stage counts as failed for {@code webhook}. */
  void dropped(
      NotifyProperties.Webhook webhook, NotificationEvent event, String what, String problem) {
    metrics.notificationSent(event.wire(), webhook.name(), false);
    log.warn("Notification {} to webhook '{}' dropped: {}", what, webhook.name(), problem);
  }

  /** Sends {@code body} to {@code webhook} with retries, asynchronously. Never throws. */
  void send(NotifyProperties.Webhook webhook, NotificationEvent event, String id, byte[] body) {
    Delivery delivery = new Delivery(webhook, event, id, body);
    if (!reserve()) {
      giveUp(delivery, 0, "more than " + CAPACITY + " notifications were waiting");
      return;
    }
    schedule(delivery, 1, Duration.ZERO);
  }

  private boolean reserve() {
    if (queued.incrementAndGet() > CAPACITY) {
      queued.decrementAndGet();
      return false;
    }
    return true;
  }

  private void schedule(Delivery delivery, int attempt, Duration delay) {
    try {
      executor.schedule(() -> attempt(delivery, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      queued.decrementAndGet();
      giveUp(delivery, attempt - 1, "Upshift is shutting down");
    }
  }

  private void attempt(Delivery delivery, int attempt) {
    NotifyProperties.Webhook webhook = delivery.webhook();
    String problem;
    OptionalLong retryAfter = OptionalLong.empty();
    try {
      HttpResponse<Void> response =
          clients
              .get(webhook.name())
              .send(request(delivery), HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        queued.decrementAndGet();
        metrics.notificationSent(delivery.event().wire(), webhook.name(), true);
        log.debug(
            "Notification {} ({}) delivered to webhook '{}' (attempt {})",
            delivery.event().wire(),
            delivery.id(),
            webhook.name(),
            attempt);
        return;
      }
      problem = "the receiver answered HTTP " + status;
      if (!retryable(status)) {
        queued.decrementAndGet();
        giveUp(delivery, attempt, problem + ", which is not retried");
        return;
      }
      retryAfter = response.headers().firstValueAsLong("Retry-After");
    } catch (IOException e) {
      problem = describe(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      queued.decrementAndGet();
      giveUp(delivery, attempt, "Upshift is shutting down");
      return;
    } catch (RuntimeException e) {
      queued.decrementAndGet();
      giveUp(delivery, attempt, describe(e));
      return;
    }
    if (attempt > RETRIES) {
      queued.decrementAndGet();
      giveUp(delivery, attempt, problem);
      return;
    }
    Duration wait = backoff(attempt, retryAfter);
    log.info(
        "Notification {} ({}) to webhook '{}': attempt {} failed ({}); retrying in {} ms",
        delivery.event().wire(),
        delivery.id(),
        webhook.name(),
        attempt,
        problem,
        wait.toMillis());
    schedule(delivery, attempt + 1, wait);
  }

  private static HttpRequest request(Delivery delivery) {
    NotifyProperties.Webhook webhook = delivery.webhook();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(webhook.uri())
            .timeout(webhook.timeout())
            .header("Content-Type", "application/json")
            .header("User-Agent", "Upshift")
            .header(EVENT_HEADER, delivery.event().wire())
            .header(DELIVERY_HEADER, delivery.id())
            .POST(HttpRequest.BodyPublishers.ofByteArray(delivery.body()));
    webhook.headers().forEach(request::header);
    if (webhook.signingSecret() != null) {
      String timestamp = String.valueOf(java.time.Instant.now().getEpochSecond());
      request
          .header(TIMESTAMP_HEADER, timestamp)
          .header(SIGNATURE_HEADER, signature(webhook.signingSecret(), timestamp, delivery.body()));
    }
    return request.build();
  }

  /**
   * {@code sha256=} and the hex HMAC-SHA256 of {@code <timestamp>.<body>} under the secret: what a
   * receiver recomputes to know the request came from this Upshift and was not replayed later.
   */
  static String signature(String secret, String timestamp, byte[] body) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(
          new javax.crypto.spec.SecretKeySpec(
              secret.strip().getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** Connection problems, timeouts, 5xx and 429 may pass; anything else will answer the same. */
  static boolean retryable(int status) {
    return status == 429 || status >= 500;
  }

  /** 1 s, 2 s, 4 s; a {@code Retry-After} in seconds wins, up to 30 s. */
  static Duration backoff(int attempt, OptionalLong retryAfterSeconds) {
    if (retryAfterSeconds.isPresent() && retryAfterSeconds.getAsLong() >= 0) {
      Duration asked = Duration.ofSeconds(retryAfterSeconds.getAsLong());
      return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }
    return FIRST_BACKOFF.multipliedBy(1L << Math.min(attempt - 1, 10));
  }

  private void giveUp(Delivery delivery, int attempts, String problem) {
    metrics.notificationSent(delivery.event().wire(), delivery.webhook().name(), false);
    log.warn(
        "Notification {} ({}) to webhook '{}' given up after {} attempt(s): {}",
        delivery.event().wire(),
        delivery.id(),
        delivery.webhook().name(),
        attempts,
        problem);
  }

  /** The exception's kind and message; the JDK's messages name no URL path or header. */
  private static String describe(Exception e) {
    String message = e.getMessage();
    String kind = e.getClass().getSimpleName();
    return message == null || message.isBlank() ? kind : kind + ": " + message;
  }

  @Override
  public void destroy() throws InterruptedException {
    executor.shutdown();
    if (!executor.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
      executor.shutdownNow();
    }
    int dropped = queued.get();
    if (dropped > 0) {
      log.warn("{} notification(s) not delivered: Upshift shut down while they waited", dropped);
    }
    clients.values().forEach(HttpClient::shutdownNow);
  }

  private record Delivery(
      NotifyProperties.Webhook webhook, NotificationEvent event, String id, byte[] body) {}
}
