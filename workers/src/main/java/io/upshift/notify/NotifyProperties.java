package io.upshift.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Webhook notifications ({@code upshift.notify}): who hears about waiting approvals and ended runs.
 * Every problem fails start-up with a message naming the property, e.g. {@code
 * upshift.notify.webhooks[0].url must be an http(s) URL}.
 *
 * @param baseUrl where people open Upshift's console; the links in the notifications start with it
 * @param webhooks the receivers; none means no notifications
 */
@ConfigurationProperties(NotifyProperties.PREFIX)
record NotifyProperties(
    @DefaultValue("http://localhost:8080") String baseUrl, List<Webhook> webhooks) {

  static final String PREFIX = "upshift.notify";

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);

  /** Names become a metric tag and appear in logs: short and plain. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** RFC 9110 token characters. */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /**
   * Headers Upshift sets itself, or that the JDK's HTTP client refuses; lower case (names are
   * case-insensitive).
   */
  private static final Set<String> RESERVED_HEADERS =
      Set.of(
          "connection",
          "content-length",
          "content-type",
          "expect",
          "host",
          "upgrade",
          "user-agent",
          WebhookSender.EVENT_HEADER.toLowerCase(Locale.ROOT),
          WebhookSender.DELIVERY_HEADER.toLowerCase(Locale.ROOT),
          WebhookSender.TIMESTAMP_HEADER.toLowerCase(Locale.ROOT),
          WebhookSender.SIGNATURE_HEADER.toLowerCase(Locale.ROOT));

  NotifyProperties {
    baseUrl = consoleBase(baseUrl);
    webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
    Map<String, Integer> names = new HashMap<>();
    for (int i = 0; i < webhooks.size(); i++) {
      String property = PREFIX + ".webhooks[" + i + "]";
      Webhook webhook = webhooks.get(i);
      validate(property, webhook);
      Integer earlier = names.putIfAbsent(webhook.name(), i);
      if (earlier != null) {
        throw new IllegalArgumentException(
            property
                + ".name '"
                + webhook.name()
                + "' is taken by webhooks["
                + earlier
                + "] already; names must be unique");
      }
    }
  }

  /** Link to a run in the console. */
  String runLink(String runId) {
    return baseUrl + "/runs/" + runId;
  }

  /** Link to the approvals inbox in the console. */
  String inboxLink() {
    return baseUrl + "/inbox";
  }

  /** The webhooks subscribed to {@code event}. */
  List<Webhook> subscribers(NotificationEvent event) {
    return webhooks.stream().filter(w -> w.subscribes(event)).toList();
  }

  /**
   * One receiver.
   *
   * @param name identifies the webhook in logs and in the metric tag {@code webhook}; unique
   * @param url where to POST; http or https. May itself be a secret (Slack's are): never logged
   * @param format {@code json} (Upshift's payload) or {@code slack} (an incoming-webhook message)
   * @param events the event names to send (see {@link NotificationEvent}); empty means all
   * @param headers sent with every request, e.g. {@code Authorization}; their values are never
   *     logged
   * @param timeout to connect, and again to get the answer, per attempt
   * @param signingSecret optional: every request then carries {@code X-Upshift-Timestamp} and
   *     {@code X-Upshift-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">}, so the
   *     receiver can check the sender and refuse replays; at least 16 characters, never logged
   */
  record Webhook(
      String name,
      String url,
      @DefaultValue("json") Format format,
      List<String> events,
      Map<String, String> headers,
      @DefaultValue("5s") Duration timeout,
      String signingSecret) {

    Webhook {
      url = url == null ? null : url.strip();
      format = format == null ? Format.JSON : format;
      events = events == null ? List.of() : List.copyOf(events);
      headers =
          headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    }

    boolean subscribes(NotificationEvent event) {
      return events.isEmpty() || events.stream().anyMatch(event::matches);
    }

    /** The events this webhook receives, e.g. to register its counters. */
    List<String> subscribedEvents() {
      return NotificationEvent.ALL.stream()
          .filter(this::subscribes)
          .map(NotificationEvent::wire)
          .toList();
    }

    URI uri() {
      return URI.create(url);
    }

    /** Without the URL and the header values: both may hold credentials. */
    @Override
    public String toString() {
      return "Webhook[name="
          + name
          + ", format="
          + format.name().toLowerCase(Locale.ROOT)
          + ", events="
          + events
          + ", headers="
          + headers.keySet()
          + ", timeout="
          + timeout
          + ", signed="
          + (signingSecret != null)
          + "]";
    }
  }

  enum Format {
    /** Upshift's own payload: event, run, approval, links. */
    JSON,
    /** A Slack incoming-webhook message: {@code {"text": "..."}}; Mattermost and others take it. */
    SLACK
  }

  private static String consoleBase(String value) {
    String property = PREFIX + ".base-url";
    String url = value == null || value.isBlank() ? "http://localhost:8080" : value.strip();
    httpUrl(property, url, "the address people open Upshift's console at");
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static void validate(String property, Webhook webhook) {
    if (webhook == null) {
      throw new IllegalArgumentException(property + " is empty; give at least name and url");
    }
    if (webhook.name() == null || !NAME.matcher(webhook.name()).matches()) {
      throw new IllegalArgumentException(
          property
              + ".name is required: up to 64 letters, digits, '.', '_' or '-', starting with a"
              + " letter or digit");
    }
    httpUrl(property + ".url", webhook.url(), "where the notifications are POSTed");
    for (int j = 0; j < webhook.events().size(); j++) {
      String event = webhook.events().get(j);
      if (!NotificationEvent.SUBSCRIPTIONS.contains(event)) {
        throw new IllegalArgumentException(
            property
                + ".events["
                + j
                + "] '"
                + event
                + "' is not one of "
                + String.join(", ", NotificationEvent.SUBSCRIPTIONS));
      }
    }
    for (Map.Entry<String, String> header : webhook.headers().entrySet()) {
      String name = header.getKey();
      String where = property + ".headers." + name;
      if (!HEADER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(
            where + " is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
      }
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(where + " is set by Upshift and cannot be configured");
      }
      String value = header.getValue();
      // The value itself never goes into a message: it may be a credential.
      if (value == null
          || value.isBlank()
          || value.indexOf('\r') >= 0
          || value.indexOf('\n') >= 0) {
        throw new IllegalArgumentException(where + " needs a value on a single line");
      }
    }
    if (webhook.signingSecret() != null && webhook.signingSecret().strip().length() < 16) {
      // Never the secret itself in the message.
      throw new IllegalArgumentException(
          property + ".signing-secret must have at least 16 characters");
    }
    Duration timeout = webhook.timeout();
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          property + ".timeout must be more than 0 and at most " + MAX_TIMEOUT.toSeconds() + "s");
    }
  }

  /** The URL itself stays out of the message: a webhook URL may carry its secret token. */
  private static void httpUrl(String property, String url, String what) {
    String problem = property + " must be an http(s) URL: " + what;
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(problem);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(problem);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw new IllegalArgumentException(problem);
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          property + " must not carry credentials (user:password@); use headers instead");
    }
  }
}
