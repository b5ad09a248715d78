package io.upshift.approval;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.approval.expire}: the service task behind an interrupting timer on a decision task
 * (e.g. "Decide on the failed step"). The engine drops the task without telling any worker, so this
 * step closes it in the inbox as {@code expired} and audits the safe choice the model takes
 * (variable {@code failureDecision}, set by the timer's output mapping). Task header {@value
 * #TASK_HEADER}: the element id of the decision task.
 */
@Component
public class ExpireTaskWorker {

  static final String JOB_TYPE = "upshift.approval.expire";
  static final String TASK_HEADER = "upshift.task";

  private final ApprovalService approvals;
  private final JobSteps steps;

  ExpireTaskWorker(ApprovalService approvals, JobSteps steps) {
    this.approvals = approvals;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      fetchVariables = {JobSteps.RUN_ID, ApprovalService.FAILURE_DECISION})
  public void expire(ActivatedJob job) {
    steps.run(
        job,
        () -> {
          String element = job.getCustomHeaders().get(TASK_HEADER);
          if (element == null || element.isBlank()) {
            throw new StepFailure(
                JOB_TYPE
                    + " needs the task header "
                    + TASK_HEADER
                    + ": the element id of the decision task whose timer fired");
          }
          Object choice = job.getVariablesAsMap().get(ApprovalService.FAILURE_DECISION);
          return approvals.expire(
              job.getProcessInstanceKey(),
              element,
              choice instanceof String c && !c.isBlank() ? c : "the model's default");
        },
        n -> n + " decision task(s) closed as expired");
  }
}
