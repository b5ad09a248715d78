package io.upshift.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.approval.ApprovalReminded;
import io.upshift.approval.ApprovalTask;
import io.upshift.approval.ApprovalWaiting;
import io.upshift.run.RunEnded;
import io.upshift.run.RunService;
import io.upshift.run.RunView;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Turns the approval and run events into notifications for the subscribed webhooks. It listens
 * after the work that raised an event is committed (or at once when there is no transaction), and
 * hands everything else, reading the run included, to the {@link WebhookSender}'s executor: the job
 * worker that raised the event goes on at once and never sees a notification fail.
 */
@Component
class NotificationListener {

  private static final Logger log = LoggerFactory.getLogger(NotificationListener.class);

  private final NotifyProperties properties;
  private final NotificationPayloads payloads;
  private final WebhookSender sender;
  private final RunService runs;
  private final ObjectMapper json;

  NotificationListener(
      NotifyProperties properties, WebhookSender sender, RunService runs, ObjectMapper json) {
    this.properties = properties;
    this.payloads = new NotificationPayloads(properties);
    this.sender = sender;
    this.runs = runs;
    this.json = json;
  }

  @TransactionalEventListener(fallbackExecution = true)
  public void approvalWaiting(ApprovalWaiting waiting) {
    ApprovalTask task = waiting.task();
    publish(
        NotificationEvent.APPROVAL_WAITING,
        "approval task " + task.id(),
        () -> Notification.approvalWaiting(task, run(task.runId())));
  }

  @TransactionalEventListener(fallbackExecution = true)
  public void approvalReminded(ApprovalReminded reminded) {
    ApprovalTask task = reminded.task();
    publish(
        NotificationEvent.APPROVAL_EXPIRING,
        "approval task " + task.id(),
        () ->
            Notification.approvalExpiring(
                task, reminded.reminderJobKey(), task.remindedAt(), run(task.runId())));
  }

  /** Once per run: a redelivered end-listener job and instances outside Upshift send nothing. */
  @TransactionalEventListener(fallbackExecution = true)
  public void runEnded(RunEnded ended) {
    if (!ended.firstReport() || ended.runId() == null) {
      return;
    }
    NotificationEvent event = NotificationEvent.runEnded(ended.state());
    publish(
        event,
        "run " + ended.runId(),
        () -> {
          RunView run = run(ended.runId());
          if (run == null) {
            // Not in the journal (any more): what the event says is all there is.
            run =
                new RunView(
                    ended.runId(),
                    null,
                    null,
                    ended.processInstanceKey(),
                    ended.state().wire(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    null,
                    ended.at(),
                    List.of());
          }
          return Notification.runEnded(event, ended.at(), run);
        });
  }

  /** Never throws: this runs on the thread of the job worker that raised the event. */
  private void publish(NotificationEvent event, String subject, Supplier<Notification> facts) {
    try {
      List<NotifyProperties.Webhook> webhooks = properties.subscribers(event);
      if (webhooks.isEmpty()) {
        return;
      }
      String what = event.wire() + " of " + subject;
      boolean queued = sender.execute(what, () -> deliver(event, what, webhooks, facts));
      if (!queued) {
        webhooks.forEach(
            webhook ->
                sender.dropped(webhook, event, what, "notifications are backed up or shut down"));
      }
    } catch (RuntimeException e) {
      log.warn("Notification {} of {} not sent: {}", event.wire(), subject, e.toString());
    }
  }

  /** On the sender's executor: read the facts, build each webhook's body, send. */
  private void deliver(
      NotificationEvent event,
      String what,
      List<NotifyProperties.Webhook> webhooks,
      Supplier<Notification> facts) {
    Notification notification;
    try {
      notification = facts.get();
    } catch (RuntimeException e) {
      webhooks.forEach(webhook -> sender.dropped(webhook, event, what, "reading it failed: " + e));
      return;
    }
    for (NotifyProperties.Webhook webhook : webhooks) {
      byte[] body;
      try {
        body = body(webhook, notification);
      } catch (RuntimeException e) {
        sender.dropped(webhook, event, what, "building its payload failed: " + e);
        continue;
      }
      sender.send(webhook, event, notification.id(), body);
    }
  }

  private byte[] body(NotifyProperties.Webhook webhook, Notification notification) {
    try {
      return json.writeValueAsBytes(payloads.body(webhook.format(), notification));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("payload of " + notification.id() + " not written", e);
    }
  }

  private RunView run(String runId) {
    return runId == null ? null : runs.find(runId).orElse(null);
  }
}
