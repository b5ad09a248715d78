package io.upshift.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client of the platform's API that writes the whole time an upgrade or rollback runs: one POST
 * every 100 ms, each acknowledged write (HTTP 201) recorded by the id the platform gave it. A lost
 * acknowledged write is a severity-1 defect; tests compare this record with what is left. Bounded:
 * it stops by itself after 20 minutes.
 */
public final class ApiWriter implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration LIMIT = Duration.ofMinutes(20);

  private final String url;
  private final String prefix;
  private final Map<Long, String> acknowledged = new ConcurrentSkipListMap<>();
  private final AtomicInteger refused = new AtomicInteger();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Instant lastAcknowledged;
  private volatile long longestGapMillis;

  public ApiWriter(String itemsUrl, String prefix) {
    this.url = itemsUrl;
    this.prefix = prefix;
    this.thread = new Thread(this::loop, "api-writer-" + prefix);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void loop() {
    Instant end = Instant.now().plus(LIMIT);
    int n = 0;
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      while (running && Instant.now().isBefore(end)) {
        String name = prefix + "-" + n++;
        try {
          HttpResponse<String> response =
              http.send(
                  HttpRequest.newBuilder(URI.create(url))
                      .timeout(Duration.ofSeconds(5))
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"name\": \"" + name + "\", \"quantity\": 1}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 201) {
            JsonNode item = JSON.readTree(response.body());
            acknowledged.put(item.get("id").asLong(), name);
            Instant now = Instant.now();
            if (lastAcknowledged != null) {
              longestGapMillis =
                  Math.max(longestGapMillis, Duration.between(lastAcknowledged, now).toMillis());
            }
            lastAcknowledged = now;
          } else {
            refused.incrementAndGet();
          }
        } catch (java.io.IOException e) {
          refused.incrementAndGet();
        } catch (InterruptedException e) {
          return;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Every acknowledged write: the id the platform answered with, and the name written. */
  public Map<Long, String> acknowledged() {
    return Map.copyOf(acknowledged);
  }

  public int refused() {
    return refused.get();
  }

  /** The longest time between two acknowledged writes: what a client saw as unavailability. */
  public double longestGapSeconds() {
    return longestGapMillis / 1000.0;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
  }
}
