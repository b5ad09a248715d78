package io.upshift.preflight;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.plan.UpgradePlan;
import io.upshift.platform.DescriptorException;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.preflight.check}: everything the upgrade needs, checked before anything is touched
 * (see {@link PreflightService}). Outputs {@code preflight}; any failed check throws BPMN error
 * {@value #PREFLIGHT_FAILED} with {@code failure} listing each failed check.
 */
@Component
public class PreflightWorker {

  static final String JOB_TYPE = "upshift.preflight.check";
  static final String PREFLIGHT_FAILED = "PREFLIGHT_FAILED";
  private final PreflightService service;
  private final JobSteps steps;

  PreflightWorker(PreflightService service, JobSteps steps) {
    this.service = service;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      timeout = 10 * 60 * 1000,
      fetchVariables = {"platform", "plan"})
  public Map<String, Object> check(ActivatedJob job) {
    Map<String, Object> vars = job.getVariablesAsMap();
    return steps.run(
        job,
        () -> {
          if (!(vars.get("platform") instanceof String platform) || vars.get("plan") == null) {
            throw new StepFailure(JOB_TYPE + " needs the variables platform and plan");
          }
          PreflightService.Report report;
          try {
            report = service.check(platform, UpgradePlan.fromVariable(vars.get("plan")));
          } catch (DescriptorException e) {
            throw new StepFailure(e.getMessage(), e);
          }
          if (!report.passed()) {
            String failure = "Pre-flight failed, nothing was touched: " + report.failures();
            throw CamundaError.bpmnError(PREFLIGHT_FAILED, failure, Map.of("failure", failure));
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put(
              "checks", report.checks().stream().map(c -> c.name() + ": " + c.detail()).toList());
          out.put("configChanges", report.configChanges());
          out.put("pendingMigrations", report.pendingMigrations());
          out.put("databaseBytes", report.databaseBytes());
          return Map.<String, Object>of("preflight", out);
        },
        out -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> p = (Map<String, Object>) out.get("preflight");
          return ((java.util.List<?>) p.get("checks")).size()
              + " checks passed; config changes "
              + p.get("configChanges")
              + "; pending migrations "
              + p.get("pendingMigrations");
        });
  }
}
