package io.upshift.plan;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.platform.DescriptorException;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.plan.compute}: the upgrade plan of {@code platform} to {@code targetVersion}.
 * Outputs {@code plan}, {@code planHash} and {@code hops} (target versions in order). A forbidden
 * or impossible path throws BPMN error {@code UPGRADE_PATH_FORBIDDEN} or {@code UNKNOWN_RELEASE}
 * with {@code failure} saying which path is allowed; nothing has been touched at that point.
 */
@Component
public class PlanWorker {

  static final String JOB_TYPE = "upshift.plan.compute";

  private final UpgradePlanner planner;
  private final JobSteps steps;

  PlanWorker(UpgradePlanner planner, JobSteps steps) {
    this.planner = planner;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      timeout = 5 * 60 * 1000,
      fetchVariables = {"platform", "targetVersion", "allowSteppingStones"})
  public Map<String, Object> plan(ActivatedJob job) {
    Map<String, Object> vars = job.getVariablesAsMap();
    return steps.run(
        job,
        () -> compute(vars),
        out ->
            "plan "
                + ((UpgradePlan) out.get("plan")).fromVersion()
                + " -> "
                + out.get("hops")
                + ", hash "
                + out.get("planHash"));
  }

  private Map<String, Object> compute(Map<String, Object> vars) {
    String platform = vars.get("platform") instanceof String s ? s : null;
    String target = vars.get("targetVersion") instanceof String s ? s : null;
    boolean steppingStones = !Boolean.FALSE.equals(vars.get("allowSteppingStones"));
    if (platform == null || target == null) {
      throw new StepFailure("platform and targetVersion are required variables of " + JOB_TYPE);
    }
    try {
      UpgradePlan plan = planner.plan(platform, target, steppingStones);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("plan", plan);
      out.put("planHash", UpgradePlanner.hash(plan));
      out.put("hops", plan.hops().stream().map(UpgradePlan.PlannedHop::to).toList());
      return out;
    } catch (PlanRefusedException e) {
      throw CamundaError.bpmnError(e.code(), e.getMessage(), Map.of("failure", e.getMessage()));
    } catch (DescriptorException | IllegalArgumentException e) {
      throw new StepFailure(e.getMessage(), e);
    }
  }
}
