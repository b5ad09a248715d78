package io.upshift.plan;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.platform.DescriptorException;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.plan.recheck}: just before the cutover, recomputes the plan and compares its hash
 * with the approved one ({@code approvedPlanHash}, else {@code planHash}). If a tag moved, images
 * or migrations changed, throws BPMN error {@value #PLAN_DRIFTED}: stop before any downtime and ask
 * again.
 */
@Component
public class RecheckPlanWorker {

  static final String PLAN_DRIFTED = "PLAN_DRIFTED";

  private final UpgradePlanner planner;
  private final JobSteps steps;

  RecheckPlanWorker(UpgradePlanner planner, JobSteps steps) {
    this.planner = planner;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.plan.recheck",
      timeout = 5 * 60 * 1000,
      fetchVariables = {
        "platform",
        "targetVersion",
        "allowSteppingStones",
        "planHash",
        "approvedPlanHash"
      })
  public Map<String, Object> recheck(ActivatedJob job) {
    Map<String, Object> vars = job.getVariablesAsMap();
    return steps.run(
        job,
        () -> {
          String approved =
              vars.get("approvedPlanHash") instanceof String a ? a : (String) vars.get("planHash");
          if (!(vars.get("platform") instanceof String platform)
              || !(vars.get("targetVersion") instanceof String target)
              || approved == null) {
            throw new StepFailure(
                "upshift.plan.recheck needs platform, targetVersion and the approved plan hash");
          }
          String now;
          try {
            now =
                UpgradePlanner.hash(
                    planner.plan(
                        platform, target, !Boolean.FALSE.equals(vars.get("allowSteppingStones"))));
          } catch (PlanRefusedException | DescriptorException e) {
            throw CamundaError.bpmnError(
                PLAN_DRIFTED,
                "The plan can no longer be made: " + e.getMessage(),
                Map.of("failure", "The plan can no longer be made: " + e.getMessage()));
          }
          if (!now.equals(approved)) {
            String failure =
                "The plan changed since it was approved (hash "
                    + approved
                    + " -> "
                    + now
                    + "): a release tag, image or migration moved. Nothing was touched; start the upgrade again to approve the new plan.";
            throw CamundaError.bpmnError(PLAN_DRIFTED, failure, Map.of("failure", failure));
          }
          return Map.<String, Object>of("planRechecked", now);
        },
        out -> "plan unchanged since approval (" + out.get("planRechecked") + ")");
  }
}
