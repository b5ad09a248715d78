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
  private final io.upshift.rollback.CutoverLog cutover;

  VerifyPlatformWorker(
      PlatformOperations platforms,
      PlatformVerification verification,
      BackupService backups,
      JobSteps steps,
      io.upshift.rollback.CutoverLog cutover) {
    this.cutover = cutover;
    this.platforms = platforms;
    this.verification = verification;
    this.backups = backups;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.verify.platform",
      timeout = 15 * 60 * 1000,
      fetchVariables = {"platform", "hop", "targetVersion"})
  public Map<String, Object> verify(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, false);
          // Inside the cutover the hop is set; the re-verification after the observation window
          // checks the last hop, whose target is the run's target version.
          String hop =
              target.hop() != null
                  ? target.hop()
                  : (String) job.getVariablesAsMap().get("targetVersion");
          // Only what the services logged since this hop stopped them: an ERROR line from before
          // the run is not this release's failure.
          java.time.Instant since =
              hop == null ? null : cutover.stoppedAt(target.runId(), hop).orElse(null);
          List<PlatformVerification.Result> results =
              verification.verify(
                  platforms.installed(target.platform()),
                  hop == null
                      ? Map.of()
                      : backups.countsAtStopOf(target.runId(), hop).orElseGet(() -> Map.of()),
                  platforms.logs(target.platform(), 200, since));
          List<String> lines = results.stream().map(PlatformVerification.Result::line).toList();
          List<String> failed = lines.stream().filter(l -> l.startsWith("FAILED")).toList();
          if (!failed.isEmpty()) {
            throw new StepFailure("Verification failed: " + String.join("; ", failed));
          }
          return Map.<String, Object>of("verification", lines);
        },
        out -> ((List<?>) out.get("verification")).size() + " checks passed");
  }
}
