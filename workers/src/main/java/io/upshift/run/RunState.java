package io.upshift.run;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Where a run stands, as Upshift's journal knows it. */
public enum RunState {
  ACTIVE,
  COMPLETED,
  FAILED,
  /** An upgrade failed after the point of no return and the platform was put back. */
  ROLLED_BACK,
  /** An approver rejected the run at an approval task. */
  REJECTED,
  /** An approval task expired before anyone decided. */
  EXPIRED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The outcome as a metric tag: Prometheus labels use underscores (rolled_back). */
  public String metricTag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Outcomes a model may set in the {@code outcome} variable before an end event. */
  static Optional<RunState> outcome(String value) {
    return Arrays.stream(values()).filter(s -> s != ACTIVE && s.wire().equals(value)).findFirst();
  }
}
