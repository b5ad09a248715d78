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
  EXPIRED,
  /** An operator cancelled the run before its cutover; the engine instance was cancelled. */
  CANCELLED,
  /**
   * Upshift restarted with the embedded engine, which lost the run. Holds its platform's lock until
   * an operator resumes it (it is active again), rolls it back or abandons it.
   */
  INTERRUPTED,
  /** An operator abandoned an interrupted run after looking at the platform; lock released. */
  ABANDONED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The outcome as a metric tag: Prometheus labels use underscores (rolled_back). */
  public String metricTag() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Outcomes a model may set in the {@code outcome} variable before an end event. */
  static Optional<RunState> outcome(String value) {
    return Arrays.stream(values())
        .filter(RunState::modelOutcome)
        .filter(s -> s.wire().equals(value))
        .findFirst();
  }

  /**
   * Whether a run enters this state when it ends, once: everything but {@code active} and {@code
   * abandoned} (which follows {@code interrupted}, so the run had ended already). Each is an
   * outcome of the run metrics.
   */
  public boolean ending() {
    return this != ACTIVE && this != ABANDONED;
  }

  /** Whether a model may end a run so; the others are set by Upshift itself. */
  boolean modelOutcome() {
    return switch (this) {
      case COMPLETED, FAILED, ROLLED_BACK, REJECTED, EXPIRED -> true;
      case ACTIVE, CANCELLED, INTERRUPTED, ABANDONED -> false;
    };
  }
}
