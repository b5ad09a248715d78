package io.upshift.run;

import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** The run API: start a runbook, read a run's state and timeline. */
@RestController
@RequestMapping("/api/runs")
class RunController {

  private final RunService runs;

  RunController(RunService runs) {
    this.runs = runs;
  }

  @PostMapping
  ResponseEntity<RunView> start(@RequestBody StartRunRequest request, Principal principal) {
    RunView run = runs.start(request, principal == null ? null : principal.getName());
    return ResponseEntity.created(URI.create("/api/runs/" + run.id())).body(run);
  }

  @GetMapping("/{id}")
  RunView show(@PathVariable String id) {
    InputChecks.requireRunId("id", id);
    return runs.find(id)
        .orElseThrow(
            () -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No run with id " + id));
  }

  /**
   * Cancels an active run before its cutover (409 inside it, or when the run is not active).
   *
   * @param request the reason, required; it goes into the audit trail and the run's outcome
   */
  @PostMapping("/{id}/cancel")
  RunView cancel(@PathVariable String id, @RequestBody ReasonRequest request, Principal principal) {
    return runs.cancel(id, request.reason(), principal == null ? null : principal.getName());
  }

  /**
   * Abandons an interrupted run (the embedded engine lost it in a restart) and releases its
   * platform; the outcome message says what to check and restore by hand.
   */
  @PostMapping("/{id}/abandon")
  RunView abandon(
      @PathVariable String id, @RequestBody ReasonRequest request, Principal principal) {
    return runs.abandon(id, request.reason(), principal == null ? null : principal.getName());
  }

  /**
   * Resumes an interrupted run where it stopped: a new engine instance starts at the step it was
   * at, with the variables kept after its last completed step; same run id. 409 when the run is not
   * interrupted or cannot be resumed.
   */
  @PostMapping("/{id}/resume")
  RunView resume(@PathVariable String id, @RequestBody ReasonRequest request, Principal principal) {
    return runs.resume(id, request.reason(), principal == null ? null : principal.getName());
  }

  /**
   * Rolls back an interrupted run whose cutover changed the platform: the runbook's rollback path
   * undoes what the unfinished hop did (its cutover log). 409 when there is nothing to undo.
   */
  @PostMapping("/{id}/rollback")
  RunView rollback(
      @PathVariable String id, @RequestBody ReasonRequest request, Principal principal) {
    return runs.rollback(id, request.reason(), principal == null ? null : principal.getName());
  }

  /**
   * The body of a cancel, abandon, resume or rollback.
   *
   * @param reason why, at most 2000 characters; audited
   */
  record ReasonRequest(String reason) {}

  /** The newest runs first; {@code state} and {@code runbook} narrow the list. */
  @GetMapping
  List<RunView> recent(
      @RequestParam(required = false) String state,
      @RequestParam(required = false) String runbook,
      @RequestParam(defaultValue = "50") int limit) {
    return runs.recent(Optional.ofNullable(state), Optional.ofNullable(runbook), limit);
  }
}
