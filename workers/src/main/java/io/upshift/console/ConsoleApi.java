package io.upshift.console;

import io.upshift.audit.AuditLog;
import io.upshift.backup.BackupCatalog;
import io.upshift.run.FieldError;
import io.upshift.run.InvalidInputException;
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
    return records.export(ConsoleInputs.runId("id", id), principal.getName());
  }

  @GetMapping("/api/backups")
  List<BackupCatalog.Entry> backups(
      @RequestParam(required = false) String runId, @RequestParam(defaultValue = "100") int limit) {
    return backups.list(
        Optional.ofNullable(runId).map(value -> ConsoleInputs.runId("runId", value)),
        ConsoleInputs.limit(limit));
  }

  @GetMapping("/api/audit")
  List<AuditLog.AuditEvent> audit(@RequestParam(defaultValue = "200") int limit) {
    return audit.recent(ConsoleInputs.limit(limit));
  }

  /** Checks of the inputs the console's pages and API share; errors name the field. */
  static final class ConsoleInputs {
    private ConsoleInputs() {}

    static String runId(String field, String id) {
      try {
        java.util.UUID.fromString(id);
        return id;
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            List.of(new FieldError(field, "must be a run id (a UUID)")));
      }
    }

    static int limit(int limit) {
      if (limit < 1 || limit > 500) {
        throw new InvalidInputException(
            List.of(new FieldError("limit", "must be between 1 and 500")));
      }
      return limit;
    }
  }
}
