package io.upshift.run;

import io.upshift.metrics.UpshiftMetrics;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The embedded engine keeps its state in memory: after a restart none of the runs the journal shows
 * {@code active} exist any more. So, in embedded mode, start-up marks them {@code interrupted}
 * (naming the last step each completed) once every bean exists and before the web server or the job
 * workers start. Their platform locks stay held until an operator resumes, rolls back ({@link
 * RunService#resume}, {@link RunService#rollback}) or abandons them. A remote cluster keeps its
 * instances: nothing happens in remote mode.
 */
@Component
@ConditionalOnProperty(
    name = "upshift.engine.mode",
    havingValue = "embedded",
    matchIfMissing = true)
class InterruptedRuns implements SmartInitializingSingleton {

  private static final Logger log = LoggerFactory.getLogger(InterruptedRuns.class);

  private final RunJournal journal;
  private final Clock clock;
  private final UpshiftMetrics metrics;

  InterruptedRuns(RunJournal journal, Clock clock, UpshiftMetrics metrics) {
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public void afterSingletonsInstantiated() {
    for (RunView run : journal.interruptActive(clock.instant())) {
      metrics.runInterrupted(run.runbook());
      log.warn("Run {} ({}) marked interrupted: {}", run.id(), run.runbook(), run.outcomeMessage());
    }
  }
}
