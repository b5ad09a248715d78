package io.upshift.backup;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.DescriptorException;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.backup.database}: backs up the platform's database, globals, configuration files
 * and running image digests (see {@link BackupService}). Outputs {@code backup}: {@code {id,
 * directory, sizeBytes, sha256, verified}}. Idempotent per run.
 */
@Component
public class BackupWorker {

  static final String JOB_TYPE = "upshift.backup.database";

  private final BackupService service;
  private final JobSteps steps;

  BackupWorker(BackupService service, JobSteps steps) {
    this.service = service;
    this.steps = steps;
  }

  @JobWorker(
      type = JOB_TYPE,
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform"})
  public Map<String, Object> backUp(ActivatedJob job) {
    Map<String, Object> vars = job.getVariablesAsMap();
    return steps.run(
        job,
        () -> {
          if (!(vars.get("platform") instanceof String platform)
              || !(vars.get(JobSteps.RUN_ID) instanceof String runId)) {
            throw new StepFailure(JOB_TYPE + " needs the variables platform and runId");
          }
          BackupManifest manifest;
          try {
            manifest = service.backup(platform, runId);
          } catch (DescriptorException e) {
            throw new StepFailure(e.getMessage(), e);
          }
          Map<String, Object> backup = new LinkedHashMap<>();
          backup.put("id", manifest.id());
          backup.put("platformVersion", manifest.version());
          backup.put("sizeBytes", manifest.totalBytes());
          backup.put("sha256", BackupService.dumpOf(manifest).sha256());
          backup.put("verified", true);
          return Map.<String, Object>of("backup", backup);
        },
        out -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> b = (Map<String, Object>) out.get("backup");
          return "backup "
              + b.get("id")
              + ": "
              + b.get("sizeBytes")
              + " bytes, verified, dump sha256 "
              + b.get("sha256");
        });
  }
}
