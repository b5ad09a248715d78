package io.upshift.verify;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.backup.BackupService;
import io.upshift.platform.PlatformJob;
import io.upshift.platform.PlatformOperations;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.verify.platform}: verifies the running release against its descriptor (see {@link
 * PlatformVerification}). Outputs {@code verification} (one line per check); any failed check is a
 * hopeless failure listing them.
 */
@Component
public class VerifyPlatformWorker {

  private final PlatformOperations platforms;
  private final PlatformVerification verification;
  private final BackupService backups;
  private final JobSteps steps;

  VerifyPlatformWorker(
      PlatformOperations platforms,
      PlatformVerification verification,
      BackupService backups,
      JobSteps steps) {
    this.platforms = platforms;
    this.verification = verification;
    this.backups = backups;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.verify.platform",
      timeout = 15 * 60 * 1000,
      fetchVariables = {"platform"})
  public Map<String, Object> verify(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, false);
          List<PlatformVerification.Result> results =
              verification.verify(
                  platforms.installed(target.platform()),
                  backups.recordCountsAtStop(target.platform(), target.runId()),
                  platforms.logs(target.platform(), 200));
          List<String> lines =
              results.stream()
                  .map(r -> (r.passed() ? "ok " : "FAILED ") + r.check() + ": " + r.detail())
                  .toList();
          List<String> failed = lines.stream().filter(l -> l.startsWith("FAILED")).toList();
          if (!failed.isEmpty()) {
            throw new StepFailure("Verification failed: " + String.join("; ", failed));
          }
          return Map.<String, Object>of("verification", lines);
        },
        out -> ((List<?>) out.get("verification")).size() + " checks passed");
  }
}
