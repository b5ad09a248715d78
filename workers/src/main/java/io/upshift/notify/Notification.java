package io.upshift.notify;

import io.upshift.approval.ApprovalTask;
import io.upshift.run.RunView;
import java.time.Instant;

/**
 * What happened, as the payloads are built from it.
 *
 * @param id the same for every delivery of this occurrence (retries, a redelivered job), so that
 *     receivers can drop duplicates
 * @param run the run, or null for an instance started outside Upshift
 * @param approval the approval task of {@code approval.*} events, else null
 */
record Notification(
    String id, NotificationEvent event, Instant occurredAt, RunView run, ApprovalTask approval) {

  static Notification approvalWaiting(ApprovalTask task, RunView run) {
    return new Notification(
        NotificationEvent.APPROVAL_WAITING.wire() + ":" + task.id(),
        NotificationEvent.APPROVAL_WAITING,
        task.createdAt(),
        run,
        task);
  }

  static Notification approvalExpiring(
      ApprovalTask task, long reminderJobKey, Instant at, RunView run) {
    return new Notification(
        NotificationEvent.APPROVAL_EXPIRING.wire() + ":" + task.id() + ":" + reminderJobKey,
        NotificationEvent.APPROVAL_EXPIRING,
        at,
        run,
        task);
  }

  static Notification runEnded(NotificationEvent event, Instant at, RunView run) {
    return new Notification(event.wire() + ":" + run.id(), event, at, run, null);
  }
}
