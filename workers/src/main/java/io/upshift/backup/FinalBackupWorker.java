package io.upshift.backup;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.platform.PlatformJob;
import io.upshift.rollback.CutoverLog;
import io.upshift.run.JobSteps;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.backup.final}: after the applications of a hop stopped, takes the hop's restore
 * point if the database changed since the previous one (the run's backup for the first hop, the
 * previous hop's restore point after that), so that a rollback of this hop never loses a write the
 * platform accepted before its stop, including writes accepted by an earlier hop's release. Records
 * the per-table row counts at the stop and the restore point in the cutover log. Outputs {@code
 * restorePoint}: the id of the backup a rollback of this hop restores.
 */
@Component
public class FinalBackupWorker {

  private final BackupService backups;
  private final JobSteps steps;
  private final CutoverLog cutover;

  FinalBackupWorker(BackupService backups, JobSteps steps, CutoverLog cutover) {
    this.backups = backups;
    this.steps = steps;
    this.cutover = cutover;
  }

  @JobWorker(
      type = "upshift.backup.final",
      timeout = 2 * 60 * 60 * 1000,
      fetchVariables = {"platform", "hop"})
  public Map<String, Object> finalBackup(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          // Once taken, the hop's restore point is the one its cutover log names: a hop run again
          // after a restart (its migrations may have started) never takes a second one.
          var taken =
              cutover.hops(target.runId()).stream()
                  .filter(
                      h -> h.hop().equals(target.hop()) && h.did(CutoverLog.Action.RESTORE_POINT))
                  .findFirst();
          if (taken.isPresent()) {
            return Map.<String, Object>of(
                "restorePoint", taken.get().detail(CutoverLog.Action.RESTORE_POINT));
          }
          String previous =
              cutover.hops(target.runId()).stream()
                  .filter(
                      h -> !h.hop().equals(target.hop()) && h.did(CutoverLog.Action.RESTORE_POINT))
                  .reduce((a, b) -> b)
                  .map(h -> h.detail(CutoverLog.Action.RESTORE_POINT))
                  .orElse("run-" + target.runId());
          String id =
              backups.restorePointAtStop(target.platform(), target.runId(), target.hop(), previous);
          cutover.record(target.runId(), target.hop(), CutoverLog.Action.RESTORE_POINT, id);
          return Map.<String, Object>of("restorePoint", id);
        },
        out -> "restore point " + out.get("restorePoint"));
  }
}
