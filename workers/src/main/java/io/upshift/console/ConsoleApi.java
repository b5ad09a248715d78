package io.upshift.console;

import io.upshift.audit.AuditLog;
import io.upshift.backup.BackupCatalog;
import io.upshift.run.InputChecks;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The API side of what the console shows: upgrade records, the backups catalog, the audit log. */
@RestController
class ConsoleApi {

  private final UpgradeRecords records;
  private final BackupCatalog backups;
  private final AuditLog audit;

  ConsoleApi(UpgradeRecords records, BackupCatalog backups, AuditLog audit) {
    this.records = records;
    this.backups = backups;
    this.audit = audit;
  }

  /** The self-contained record of a finished run (409 while it is active). */
  @GetMapping("/api/runs/{id}/record")
  UpgradeRecords.UpgradeRecord record(@PathVariable String id, Principal principal) {
    return records.export(InputChecks.requireRunId("id", id), principal.getName());
  }

  @GetMapping("/api/backups")
  List<BackupCatalog.Entry> backups(
      @RequestParam(required = false) String runId, @RequestParam(defaultValue = "100") int limit) {
    return backups.list(
        Optional.ofNullable(runId).map(value -> InputChecks.requireRunId("runId", value)),
        InputChecks.requireLimit(limit));
  }

  @GetMapping("/api/audit")
  List<AuditLog.AuditEvent> audit(@RequestParam(defaultValue = "200") int limit) {
    return audit.recent(InputChecks.requireLimit(limit));
  }
}
