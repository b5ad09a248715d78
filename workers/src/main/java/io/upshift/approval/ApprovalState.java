package io.upshift.approval;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Where an approval task stands in Upshift's inbox. */
public enum ApprovalState {
  /** Open: the engine waits for a decision. */
  WAITING,
  APPROVED,
  REJECTED,
  /** The run ended through the task's expiry timer before anyone decided. */
  EXPIRED,
  /** The engine dropped the task for another reason (the run ended on another path, cancelled). */
  CANCELLED,
  /** Guided failure: a person chose to run the failed step again (after fixing its cause). */
  RETRY,
  /** Guided failure before the point of no return: a person ended the run, nothing changed. */
  ABORT,
  /** Guided failure after the point of no return: a person chose the rollback. */
  ROLLBACK,
  /** Guided failure of a step the model marks optional: a person chose to go on without it. */
  SKIP,
  /**
   * A post-deployment (contract) migration failed after the new release was verified: a person
   * chose to leave the remaining versions pending; the run completes with a warning naming them.
   */
  LEAVE_PENDING;

  /** The choices a guided-failure decision task may offer (its evidence lists the allowed ones). */
  static Optional<ApprovalState> choice(String value) {
    return fromWire(value).filter(ApprovalState::isChoice);
  }

  boolean isChoice() {
    return this == RETRY
        || this == ABORT
        || this == ROLLBACK
        || this == SKIP
        || this == LEAVE_PENDING;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static Optional<ApprovalState> fromWire(String value) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(value)).findFirst();
  }
}
