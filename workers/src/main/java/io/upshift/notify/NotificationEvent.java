package io.upshift.notify;

import io.upshift.run.RunState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The events a webhook can receive; their names are a public contract (docs/operations.md). A run
 * end is one event named after the outcome; the subscription {@value #RUN_FINISHED} matches all of
 * them.
 */
enum NotificationEvent {
  /** A user task entered the approval inbox (once per task). */
  APPROVAL_WAITING("approval.waiting"),
  /** The reminder timer of a waiting task fired ({@code upshift.approval.remind}). */
  APPROVAL_EXPIRING("approval.expiring"),
  RUN_COMPLETED("run.completed"),
  RUN_FAILED("run.failed"),
  RUN_ROLLED_BACK("run.rolled-back"),
  RUN_REJECTED("run.rejected"),
  RUN_EXPIRED("run.expired"),
  /** An operator cancelled the run before its cutover. */
  RUN_CANCELLED("run.cancelled");

  /** Subscription to every run end, whatever the outcome. */
  static final String RUN_FINISHED = "run.finished";

  static final List<NotificationEvent> ALL = List.of(values());

  /** What {@code upshift.notify.webhooks[*].events} may name. */
  static final List<String> SUBSCRIPTIONS = subscriptions();

  private final String wire;

  NotificationEvent(String wire) {
    this.wire = wire;
  }

  String wire() {
    return wire;
  }

  boolean runEnd() {
    return wire.startsWith("run.");
  }

  boolean matches(String subscription) {
    return wire.equals(subscription) || (runEnd() && RUN_FINISHED.equals(subscription));
  }

  /** The event of a run that ended in {@code state}. */
  static NotificationEvent runEnded(RunState state) {
    return switch (state) {
      case COMPLETED -> RUN_COMPLETED;
      case FAILED -> RUN_FAILED;
      case ROLLED_BACK -> RUN_ROLLED_BACK;
      case REJECTED -> RUN_REJECTED;
      case EXPIRED -> RUN_EXPIRED;
      case CANCELLED -> RUN_CANCELLED;
      case ACTIVE -> throw new IllegalArgumentException("an active run has not ended");
      // Marked at start-up, before the notifier runs, and by an operator's abandon: no end event.
      case INTERRUPTED, ABANDONED ->
          throw new IllegalArgumentException("no end event is published for " + state.wire());
    };
  }

  private static List<String> subscriptions() {
    List<String> names = new ArrayList<>();
    names.add(APPROVAL_WAITING.wire);
    names.add(APPROVAL_EXPIRING.wire);
    names.add(RUN_FINISHED);
    Arrays.stream(values()).filter(NotificationEvent::runEnd).map(e -> e.wire).forEach(names::add);
    return List.copyOf(names);
  }
}
