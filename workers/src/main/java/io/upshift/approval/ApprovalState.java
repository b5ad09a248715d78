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
  CANCELLED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Optional<ApprovalState> fromWire(String value) {
    return Arrays.stream(values()).filter(s -> s.wire().equals(value)).findFirst();
  }
}
