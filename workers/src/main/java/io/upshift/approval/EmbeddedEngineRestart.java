package io.upshift.approval;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * The embedded engine keeps its state in memory: after a restart it has none of the tasks the inbox
 * still shows as waiting, and it hands out the same job keys again. So, in embedded mode, start-up
 * closes every waiting task as cancelled (audited) before any worker takes a job.
 */
@Component
@ConditionalOnProperty(
    name = "upshift.engine.mode",
    havingValue = "embedded",
    matchIfMissing = true)
class EmbeddedEngineRestart implements InitializingBean {

  private final ApprovalService approvals;

  EmbeddedEngineRestart(ApprovalService approvals) {
    this.approvals = approvals;
  }

  @Override
  public void afterPropertiesSet() {
    approvals.engineStartedEmpty();
  }
}
