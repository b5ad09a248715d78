package io.upshift.backup;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.run.JobSteps;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.backup.final}: after the applications stopped for the first hop, takes a final
 * backup if the database changed since the run's backup (WAL position), so a rollback never loses a
 * write the platform accepted before the stop. Later hops change nothing: the restore point is the
 * state before the upgrade, not between hops. Also records the row count of every table at the stop
 * (the first time), which verification compares against. Outputs {@code restorePoint}: the id of
 * the newest backup.
 */
@Component
public class FinalBackupWorker {

  private final BackupService backups;
  private final JobSteps steps;

  FinalBackupWorker(BackupService backups, JobSteps steps) {
    this.backups = backups;
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.backup.final",
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform"})
  public Map<String, Object> finalBackup(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, false);
          return Map.<String, Object>of(
              "restorePoint", backups.atFirstStop(target.platform(), target.runId()));
        },
        out -> "restore point " + out.get("restorePoint"));
  }
}
