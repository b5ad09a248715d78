package io.upshift.approval;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.approval.remind}: the service task behind a non-interrupting reminder timer on a
 * user task. Stamps the instance's waiting approval tasks as reminded ({@code remindedAt} in the
 * inbox) and logs a warning naming them, for whoever watches the inbox and the logs; the approval
 * service announces each reminded task (webhook event {@code approval.expiring}).
 */
@Component
public class ReminderWorker {

  static final String JOB_TYPE = "upshift.approval.remind";
  private static final Logger log = LoggerFactory.getLogger(ReminderWorker.class);

  private final ApprovalService approvals;
  private final JobSteps steps;

  ReminderWorker(ApprovalService approvals, JobSteps steps) {
    this.approvals = approvals;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      fetchVariables = {JobSteps.RUN_ID})
  public void remind(ActivatedJob job) {
    steps.run(
        job,
        () -> {
          int reminded = approvals.remind(job.getProcessInstanceKey(), job.getKey());
          if (reminded > 0) {
            log.warn(
                "Reminder: {} approval task(s) of instance {} still wait for a decision"
                    + " (GET /api/approvals)",
                reminded,
                job.getProcessInstanceKey());
          }
          return reminded;
        },
        n -> n + " waiting approval task(s) reminded");
  }
}
