package io.upshift.notify;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.run.RunState;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;

/** Binding {@code upshift.notify} as the service does; bad values fail start-up naming the key. */
class NotifyPropertiesTest {

  private final ApplicationContextRunner context =
      new ApplicationContextRunner().withUserConfiguration(Binding.class);

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties(NotifyProperties.class)
  static class Binding {}

  @Test
  void bindsAWebhookWithDefaults() {
    context
        .withPropertyValues(
            "upshift.notify.webhooks[0].name=ops",
            "upshift.notify.webhooks[0].url=https://hooks.example.com/upshift")
        .run(
            ctx -> {
              NotifyProperties properties = ctx.getBean(NotifyProperties.class);
              assertThat(properties.baseUrl()).isEqualTo("http://localhost:8080");
              NotifyProperties.Webhook ops = properties.webhooks().get(0);
              assertThat(ops.format()).isEqualTo(NotifyProperties.Format.JSON);
              assertThat(ops.timeout()).isEqualTo(Duration.ofSeconds(5));
              assertThat(ops.headers()).isEmpty();
              assertThat(ops.events()).isEmpty();
              assertThat(ops.subscribedEvents())
                  .as("no events means all")
                  .containsExactly(
                      "approval.waiting",
                      "approval.expiring",
                      "run.completed",
                      "run.failed",
                      "run.rolled-back",
                      "run.rejected",
                      "run.expired",
                      "run.cancelled");
            });
  }

  @Test
  void bindsEverySettingOfASlackWebhook() {
    context
        .withPropertyValues(
            "upshift.notify.base-url=https://upshift.example.com/",
            "upshift.notify.webhooks[0].name=chat",
            "upshift.notify.webhooks[0].url=https://hooks.slack.example/services/T0/B0/secret",
            "upshift.notify.webhooks[0].format=slack",
            "upshift.notify.webhooks[0].events=run.failed,run.rolled-back",
            "upshift.notify.webhooks[0].headers.Authorization=Bearer s3cr3t",
            "upshift.notify.webhooks[0].timeout=2s")
        .run(
            ctx -> {
              NotifyProperties properties = ctx.getBean(NotifyProperties.class);
              assertThat(properties.runLink("r-1"))
                  .isEqualTo("https://upshift.example.com/runs/r-1");
              assertThat(properties.inboxLink()).isEqualTo("https://upshift.example.com/inbox");
              NotifyProperties.Webhook chat = properties.webhooks().get(0);
              assertThat(chat.format()).isEqualTo(NotifyProperties.Format.SLACK);
              assertThat(chat.events()).containsExactly("run.failed", "run.rolled-back");
              assertThat(chat.headers()).containsEntry("Authorization", "Bearer s3cr3t");
              assertThat(chat.timeout()).isEqualTo(Duration.ofSeconds(2));
              assertThat(chat.toString())
                  .as("neither the URL nor a header value is shown")
                  .contains("chat", "Authorization")
                  .doesNotContain("s3cr3t", "secret", "hooks.slack");
            });
  }

  @Test
  void theEventsFilterChoosesTheSubscribers() {
    NotifyProperties properties =
        new NotifyProperties(
            null,
            List.of(
                webhook("all", List.of()),
                webhook("bad-only", List.of("run.failed", "run.rolled-back")),
                webhook("runs", List.of("run.finished")),
                webhook("approvals", List.of("approval.waiting", "approval.expiring"))));

    assertThat(names(properties, NotificationEvent.APPROVAL_WAITING))
        .containsExactly("all", "approvals");
    assertThat(names(properties, NotificationEvent.RUN_COMPLETED)).containsExactly("all", "runs");
    assertThat(names(properties, NotificationEvent.RUN_FAILED))
        .containsExactly("all", "bad-only", "runs");
    assertThat(names(properties, NotificationEvent.runEnded(RunState.ROLLED_BACK)))
        .containsExactly("all", "bad-only", "runs");
    assertThat(properties.webhooks().get(2).subscribedEvents())
        .containsExactly(
            "run.completed",
            "run.failed",
            "run.rolled-back",
            "run.rejected",
            "run.expired",
            "run.cancelled");
  }

  @Test
  void everyWayARunEndsHasAnEventNamedAfterItsState() {
    // Interrupted runs are marked at start-up and abandoned by an operator: no end event.
    for (RunState state : RunState.values()) {
      if (state.ending() && state != RunState.INTERRUPTED) {
        assertThat(NotificationEvent.runEnded(state).wire()).isEqualTo("run." + state.wire());
      }
    }
    assertThat(NotificationEvent.SUBSCRIPTIONS)
        .containsAll(Arrays.stream(NotificationEvent.values()).map(e -> e.wire()).toList())
        .contains("run.finished");
  }

  @Test
  void aUrlThatIsNotHttpFailsStartUpNamingTheProperty() {
    assertStartupFails(
        "upshift.notify.webhooks[0].url must be an http(s) URL",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=ftp://files.example.com/hook");
    assertStartupFails(
        "upshift.notify.webhooks[1].url must be an http(s) URL",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=http://ok.example.com",
        "upshift.notify.webhooks[1].name=chat");
    assertStartupFails(
        "upshift.notify.webhooks[0].url must not carry credentials",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://user:pw@hooks.example.com/");
    assertStartupFails(
        "upshift.notify.base-url must be an http(s) URL",
        "upshift.notify.base-url=upshift.example.com");
  }

  @Test
  void namesAreRequiredPlainAndUnique() {
    assertStartupFails(
        "upshift.notify.webhooks[0].name is required",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/");
    assertStartupFails(
        "upshift.notify.webhooks[0].name is required",
        "upshift.notify.webhooks[0].name=ops chat",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/");
    assertStartupFails(
        "upshift.notify.webhooks[1].name 'ops' is taken by webhooks[0] already",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://a.example.com/",
        "upshift.notify.webhooks[1].name=ops",
        "upshift.notify.webhooks[1].url=https://b.example.com/");
  }

  @Test
  void unknownEventsAreNamedWithTheChoices() {
    assertStartupFails(
        "upshift.notify.webhooks[0].events[1] 'run.fail' is not one of approval.waiting,"
            + " approval.expiring, run.finished, run.completed, run.failed, run.rolled-back,"
            + " run.rejected, run.expired",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].events=run.completed,run.fail");
  }

  @Test
  void badHeadersAreNamedWithoutTheirValue() {
    assertStartupFails(
        "upshift.notify.webhooks[0].headers.Host is set by Upshift and cannot be configured",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].headers.Host=evil.example.com");
    assertStartupFails(
        "upshift.notify.webhooks[0].headers.Authorization needs a value on a single line",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].headers.Authorization=Bearer a\nX-Injected: b");
  }

  @Test
  void aSigningSecretIsLongEnoughAndNeverShown() {
    assertStartupFails(
        "upshift.notify.webhooks[0].signing-secret must have at least 16 characters",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].signing-secret=short");
    context
        .withPropertyValues(
            "upshift.notify.webhooks[0].name=ops",
            "upshift.notify.webhooks[0].url=https://hooks.example.com/",
            "upshift.notify.webhooks[0].signing-secret=0123456789abcdef-secret")
        .run(
            ctx -> {
              NotifyProperties.Webhook ops = ctx.getBean(NotifyProperties.class).webhooks().get(0);
              assertThat(ops.signingSecret()).isEqualTo("0123456789abcdef-secret");
              assertThat(ops.toString()).contains("signed=true").doesNotContain("abcdef-secret");
            });
  }

  @Test
  void timeoutsArePositiveAndBounded() {
    assertStartupFails(
        "upshift.notify.webhooks[0].timeout must be more than 0 and at most 60s",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].timeout=0s");
    assertStartupFails(
        "upshift.notify.webhooks[0].timeout must be more than 0 and at most 60s",
        "upshift.notify.webhooks[0].name=ops",
        "upshift.notify.webhooks[0].url=https://hooks.example.com/",
        "upshift.notify.webhooks[0].timeout=5m");
  }

  @Test
  void anUnknownFormatFailsStartUpNamingTheProperty() {
    context
        .withPropertyValues(
            "upshift.notify.webhooks[0].name=ops",
            "upshift.notify.webhooks[0].url=https://hooks.example.com/",
            "upshift.notify.webhooks[0].format=xml")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .hasStackTraceContaining(
                        "Failed to bind properties under 'upshift.notify.webhooks[0].format'"));
  }

  private void assertStartupFails(String message, String... properties) {
    context
        .withPropertyValues(properties)
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              assertThat(ctx.getStartupFailure())
                  .rootCause()
                  .isInstanceOf(IllegalArgumentException.class)
                  .hasMessageStartingWith(message)
                  .message()
                  .doesNotContain("evil.example.com", "X-Injected", "pw@");
            });
  }

  private static NotifyProperties.Webhook webhook(String name, List<String> events) {
    return new NotifyProperties.Webhook(
        name, "https://hooks.example.com/" + name, null, events, Map.of(), null, null);
  }

  private static List<String> names(NotifyProperties properties, NotificationEvent event) {
    return properties.subscribers(event).stream().map(NotifyProperties.Webhook::name).toList();
  }
}
