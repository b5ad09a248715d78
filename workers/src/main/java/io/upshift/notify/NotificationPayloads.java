package io.upshift.notify;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Builds the bodies webhooks receive. Only ids, names, states and short messages go in: never the
 * approval's evidence (it can be large and holds details of the platform) and nothing secret.
 */
final class NotificationPayloads {

  /** A chat message stays readable; the run shows the whole message. */
  static final int MAX_MESSAGE_CHARS = 500;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter READABLE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

  private final NotifyProperties properties;

  NotificationPayloads(NotifyProperties properties) {
    this.properties = properties;
  }

  ObjectNode body(NotifyProperties.Format format, Notification notification) {
    return switch (format) {
      case JSON -> json(notification);
      case SLACK -> slack(notification);
    };
  }

  /** Upshift's payload: {@code {id, event, occurredAt, run, approval?, links}}. */
  ObjectNode json(Notification n) {
    ObjectNode body = NODES.objectNode();
    body.put("id", n.id());
    body.put("event", n.event().wire());
    body.put("occurredAt", n.occurredAt().toString());
    RunView run = n.run();
    if (run != null) {
      ObjectNode node = body.putObject("run");
      node.put("id", run.id());
      putIfPresent(node, "runbook", run.runbook());
      if (run.runbookVersion() != null) {
        node.put("runbookVersion", run.runbookVersion());
      }
      putIfPresent(node, "state", run.state());
      putIfPresent(node, "requestedBy", run.requestedBy());
      putIfPresent(node, "outcomeMessage", run.outcomeMessage());
      putIfPresent(node, "currentElement", run.currentElement());
      putIfPresent(node, "startedAt", run.startedAt());
      putIfPresent(node, "endedAt", run.endedAt());
    }
    ApprovalTask task = n.approval();
    if (task != null) {
      ObjectNode node = body.putObject("approval");
      node.put("id", task.id());
      putIfPresent(node, "name", task.name());
      putIfPresent(node, "elementId", task.elementId());
      putIfPresent(node, "runbook", task.runbook());
      if (task.candidateGroups() != null && !task.candidateGroups().isEmpty()) {
        task.candidateGroups().forEach(node.putArray("candidateGroups")::add);
      }
      putIfPresent(node, "dueAt", task.dueDate());
      putIfPresent(node, "planHash", task.planHash());
      putIfPresent(node, "state", task.state());
      putIfPresent(node, "createdAt", task.createdAt());
      putIfPresent(node, "remindedAt", task.remindedAt());
    }
    ObjectNode links = body.putObject("links");
    if (run != null) {
      links.put("run", properties.runLink(run.id()));
    }
    if (task != null) {
      links.put("approval", properties.inboxLink());
    }
    return body;
  }

  /** A Slack incoming-webhook message: one readable paragraph in {@code text}, with links. */
  ObjectNode slack(Notification n) {
    ObjectNode body = NODES.objectNode();
    body.put("text", text(n));
    return body;
  }

  /** The paragraph of a chat message, in Slack's mrkdwn ({@code <url|label>} links). */
  String text(Notification n) {
    RunView run = n.run();
    ApprovalTask task = n.approval();
    StringBuilder text = new StringBuilder();
    switch (n.event()) {
      case APPROVAL_WAITING -> {
        text.append("Approval waiting: \"").append(escape(task.name())).append("\" of ");
        run(text, run, task.runbook());
        text.append(" waits for a decision");
        if (task.candidateGroups() != null && !task.candidateGroups().isEmpty()) {
          text.append(" by ").append(escape(String.join(", ", task.candidateGroups())));
        }
        due(text, task.dueDate(), n.occurredAt());
        plan(text, task.planHash());
        inbox(text);
      }
      case APPROVAL_EXPIRING -> {
        text.append("Reminder: \"").append(escape(task.name())).append("\" of ");
        run(text, run, task.runbook());
        text.append(" still waits for a decision");
        due(text, task.dueDate(), n.occurredAt());
        plan(text, task.planHash());
        inbox(text);
      }
      case RUN_COMPLETED -> ended(text, run, "completed");
      case RUN_FAILED -> ended(text, run, "failed");
      case RUN_ROLLED_BACK -> ended(text, run, "failed and was rolled back");
      case RUN_REJECTED -> ended(text, run, "was rejected");
      case RUN_EXPIRED -> ended(text, run, "expired without a decision");
      case RUN_CANCELLED -> ended(text, run, "was cancelled before its cutover");
    }
    return text.toString();
  }

  private void ended(StringBuilder text, RunView run, String how) {
    text.append("Run ");
    runLink(text, run);
    if (run.runbook() != null) {
      text.append(" of ").append(escape(run.runbook()));
    }
    if (run.requestedBy() != null) {
      text.append(" (requested by ").append(escape(run.requestedBy())).append(")");
    }
    text.append(' ').append(how);
    String message = run.outcomeMessage() == null ? "" : clip(run.outcomeMessage().strip());
    if (!message.isEmpty()) {
      text.append(": ").append(escape(message));
    }
    if (!message.endsWith(".") && !message.endsWith("…")) {
      text.append('.');
    }
  }

  private void run(StringBuilder text, RunView run, String runbook) {
    if (run == null) {
      text.append(runbook == null ? "an instance" : escape(runbook) + " (not an Upshift run)");
      return;
    }
    text.append("run ");
    runLink(text, run);
    String name = run.runbook() != null ? run.runbook() : runbook;
    if (name != null || run.requestedBy() != null) {
      text.append(" (");
      if (name != null) {
        text.append(escape(name));
      }
      if (run.requestedBy() != null) {
        text.append(name != null ? ", " : "").append("requested by ");
        text.append(escape(run.requestedBy()));
      }
      text.append(")");
    }
  }

  private void runLink(StringBuilder text, RunView run) {
    text.append('<').append(properties.runLink(run.id())).append('|').append(shortId(run.id()));
    text.append('>');
  }

  private void inbox(StringBuilder text) {
    text.append(" Decide in the <").append(properties.inboxLink()).append("|approvals inbox>.");
  }

  private static void due(StringBuilder text, Instant due, Instant now) {
    if (due == null) {
      text.append(" (no due date).");
      return;
    }
    text.append("; due ").append(READABLE.format(due)).append(" (").append(relative(now, due));
    text.append(").");
  }

  /** Like a git commit, the first 12 hex digits are enough to recognise the plan in the inbox. */
  private static void plan(StringBuilder text, String planHash) {
    if (planHash != null && !planHash.isBlank()) {
      String shown = planHash.length() > 12 ? planHash.substring(0, 12) + "…" : planHash;
      text.append(" Plan ").append(escape(shown)).append('.');
    }
  }

  /** "in 2 days", "in 5 hours", "in 12 minutes", "3 hours ago". */
  static String relative(Instant now, Instant then) {
    Duration between = Duration.between(now, then);
    boolean past = between.isNegative();
    Duration d = between.abs();
    String amount;
    if (d.toMinutes() < 1) {
      return past ? "just now" : "in less than a minute";
    } else if (d.toHours() < 2) {
      amount = plural(d.toMinutes(), "minute");
    } else if (d.toDays() < 2) {
      amount = plural(d.toHours(), "hour");
    } else {
      amount = plural(d.toDays(), "day");
    }
    return past ? amount + " ago" : "in " + amount;
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }

  /** Runs ids are UUIDs; the first group is enough to tell runs apart in a chat. */
  private static String shortId(String id) {
    int dash = id.indexOf('-');
    return escape(dash > 0 ? id.substring(0, dash) : id);
  }

  private static String clip(String text) {
    return text.length() <= MAX_MESSAGE_CHARS
        ? text
        : text.substring(0, MAX_MESSAGE_CHARS - 1) + "…";
  }

  /** Slack's three control characters; everything else is shown as written. */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static void putIfPresent(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  private static void putIfPresent(ObjectNode node, String field, Instant value) {
    if (value != null) {
      node.put(field, value.toString());
    }
  }
}
