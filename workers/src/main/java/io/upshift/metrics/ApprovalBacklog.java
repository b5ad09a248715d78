package io.upshift.metrics;

import java.time.Duration;

/**
 * What the approvals inbox holds right now. The approvals capability provides it as a bean; {@link
 * UpshiftMetrics} reads it at every scrape for the gauges {@code upshift.approvals.waiting}, {@code
 * upshift.approvals.overdue} and {@code upshift.approvals.oldest.wait}. Until such a bean exists
 * nothing can be waiting, and the gauges say 0.
 */
public interface ApprovalBacklog {

  /** The backlog of a service without an approvals inbox: nothing waiting. */
  ApprovalBacklog NONE =
      new ApprovalBacklog() {
        @Override
        public long waiting() {
          return 0;
        }

        @Override
        public long overdue() {
          return 0;
        }

        @Override
        public Duration oldestWait() {
          return Duration.ZERO;
        }
      };

  /** Approval tasks waiting for a decision. */
  long waiting();

  /** Waiting approval tasks whose due time has passed (each task's own due time). */
  long overdue();

  /** How long the oldest waiting approval task has waited; zero when none is waiting. */
  Duration oldestWait();
}
