package io.upshift.backup;

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
 * {@code upshift.backup.rehearse}: restores the run's backup into a scratch database, compares row
 * counts with the live database and rehearses every hop's migrations on the copy (see {@link
 * RehearsalService}), then stages each hop's release on the copy and runs its checks ({@link
 * Staging}; skipped when the run variable {@code staging} is false). Outputs {@code rehearsal},
 * with {@code staging} and the per-hop {@code downtimeEstimate}. A copy that does not restore
 * faithfully, a failing migration or a failing staged check throws BPMN error {@value
 * #REHEARSAL_FAILED} with {@code failure}: the run ends before the approval and any downtime.
 */
@Component
public class RehearsalWorker {

  static final String JOB_TYPE = "upshift.backup.rehearse";
  static final String REHEARSAL_FAILED = "REHEARSAL_FAILED";
  private final RehearsalService service;
  private final JobSteps steps;

  RehearsalWorker(RehearsalService service, JobSteps steps) {
    this.service = service;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform", "plan", "staging"})
  public Map<String, Object> rehearse(ActivatedJob job) {
    Map<String, Object> vars = job.getVariablesAsMap();
    return steps.run(
        job,
        () -> {
          if (!(vars.get("platform") instanceof String platform)
              || !(vars.get(JobSteps.RUN_ID) instanceof String runId)
              || vars.get("plan") == null) {
            throw new StepFailure(JOB_TYPE + " needs the variables platform, plan and runId");
          }
          UpgradePlan plan = UpgradePlan.fromVariable(vars.get("plan"));
          Object staging = vars.get("staging");
          if (staging != null && !(staging instanceof Boolean)) {
            throw new StepFailure("The variable staging must be true or false, was " + staging);
          }
          try {
            RehearsalService.Rehearsal r =
                service.rehearse(platform, runId, plan, !Boolean.FALSE.equals(staging));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("restoredTables", r.counts().size());
            out.put(
                "rowCounts",
                r.counts().entrySet().stream()
                    .map(
                        e ->
                            e.getKey()
                                + ": "
                                + e.getValue()[1]
                                + " restored, "
                                + e.getValue()[0]
                                + " live")
                    .toList());
            out.put("rowsWrittenSinceBackup", r.rowsWrittenSinceBackup());
            out.put("migrations", r.migrations());
            out.put("migrationSeconds", r.migrationSeconds());
            out.put("preDeploymentSeconds", r.preDeploymentSeconds());
            out.put("postDeploymentSeconds", r.postDeploymentSeconds());
            out.put("estimatedDowntimeSeconds", r.estimatedDowntimeSeconds());
            out.put("databases", r.databases());
            out.put("staging", r.staging());
            out.put("downtimeEstimate", r.downtimeEstimate());
            return Map.<String, Object>of("rehearsal", out);
          } catch (RehearsalService.RehearsalFailedException e) {
            throw CamundaError.bpmnError(
                REHEARSAL_FAILED, e.getMessage(), Map.of("failure", e.getMessage()));
          } catch (DescriptorException e) {
            throw new StepFailure(e.getMessage(), e);
          }
        },
        out -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> r = (Map<String, Object>) out.get("rehearsal");
          return "restored "
              + r.get("restoredTables")
              + " tables with matching row counts; migrations "
              + r.get("migrations")
              + "; staging "
              + ((Map<?, ?>) r.get("staging")).get("status")
              + "; estimated downtime "
              + r.get("estimatedDowntimeSeconds")
              + " s";
        });
  }
}
