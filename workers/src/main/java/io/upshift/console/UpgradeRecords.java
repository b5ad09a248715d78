package io.upshift.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.upshift.approval.ApprovalService;
import io.upshift.approval.ApprovalTask;
import io.upshift.audit.AuditLog;
import io.upshift.backup.BackupCatalog;
import io.upshift.run.RunService;
import io.upshift.run.RunState;
import io.upshift.run.RunView;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.web.server.ResponseStatusException;

/**
 * Builds what the console shows about one run (its picture) and the self-contained upgrade record
 * of a finished run (JSON for machines, the printable page for people). Every export is audited.
 */
@Service
public class UpgradeRecords {

  static final String FORMAT = "upshift.upgrade-record/1";

  private final RunService runs;
  private final ApprovalService approvals;
  private final BackupCatalog backups;
  private final RunbookModels models;
  private final AuditLog audit;
  private final Clock clock;

  UpgradeRecords(
      RunService runs,
      ApprovalService approvals,
      BackupCatalog backups,
      RunbookModels models,
      AuditLog audit,
      Clock clock) {
    this.runs = runs;
    this.approvals = approvals;
    this.backups = backups;
    this.models = models;
    this.audit = audit;
    this.clock = clock;
  }

  RunView run(String id) {
    return runs.find(id)
        .orElseThrow(
            () -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No run with id " + id));
  }

  /** The run's approval tasks, oldest first, each with its audit trail. */
  List<ApprovalTask> approvalsOf(String runId) {
    return approvals.list(Optional.empty(), Optional.of(runId), 100).stream()
        .map(task -> approvals.find(task.id()).orElse(task))
        .sorted(java.util.Comparator.comparing(ApprovalTask::createdAt))
        .toList();
  }

  RunPicture picture(String runId) {
    RunView run = run(runId);
    return RunPicture.of(run, models.find(run.runbook()).orElse(null), approvalsOf(runId));
  }

  /**
   * The record of a finished run; an active run has none yet (409).
   *
   * @param exportedBy who asked, for the record and the audit trail
   */
  UpgradeRecord export(String runId, String exportedBy) {
    RunView run = run(runId);
    if (RunState.ACTIVE.wire().equals(run.state())) {
      throw new ResponseStatusException(
          HttpStatus.CONFLICT,
          "Run " + runId + " is still active; its upgrade record exists once it has ended.");
    }
    List<ApprovalTask> tasks = approvalsOf(runId);
    JsonNode evidence =
        tasks.stream()
            .map(ApprovalTask::evidence)
            .filter(e -> e != null && e.has("plan"))
            .findFirst()
            .orElse(null);
    List<RunView.Step> verification =
        run.steps().stream().filter(s -> s.jobType().startsWith("upshift.verify.")).toList();
    // Each check's result, as the sign-off task showed it (the journal keeps only a summary).
    List<String> checks = new java.util.ArrayList<>();
    tasks.stream()
        .map(ApprovalTask::evidence)
        .filter(e -> e != null && e.path("verification").isArray())
        .reduce((first, last) -> last)
        .ifPresent(e -> e.path("verification").forEach(line -> checks.add(line.asText())));
    UpgradeRecord record =
        new UpgradeRecord(
            FORMAT,
            clock.instant(),
            exportedBy,
            run,
            RunPicture.of(run, models.find(run.runbook()).orElse(null), tasks).safety(),
            tasks,
            evidence,
            verification,
            checks,
            backups.list(Optional.of(runId), 20));
    audit.record(exportedBy, "run.export", runId, "upgrade record of a " + run.state() + " run");
    return record;
  }

  /**
   * A finished run, self-contained: what ran, who approved what (and the plan hash they saw), the
   * evidence they decided on, what verification found, and the backups it made.
   *
   * @param verification the verification steps of the journal (state and summary)
   * @param checks each verification check's result line ({@code ok ...}, {@code warning ...} or
   *     {@code FAILED ...}) from the last task that showed them (the sign-off); empty when no such
   *     task ran
   */
  public record UpgradeRecord(
      String format,
      Instant exportedAt,
      String exportedBy,
      RunView run,
      RunPicture.Safety outcome,
      List<ApprovalTask> approvals,
      JsonNode evidence,
      List<RunView.Step> verification,
      List<String> checks,
      List<BackupCatalog.Entry> backups) {}
}
