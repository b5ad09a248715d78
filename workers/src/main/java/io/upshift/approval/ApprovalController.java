package io.upshift.approval;

import io.upshift.run.FieldError;
import io.upshift.run.InputChecks;
import io.upshift.run.InvalidInputException;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The approval API: the inbox, one task with its audit trail, and decisions. */
@RestController
@RequestMapping("/api/approvals")
class ApprovalController {

  private final ApprovalService approvals;

  ApprovalController(ApprovalService approvals) {
    this.approvals = approvals;
  }

  /** Open tasks by default; {@code state=all} or one state; {@code runId} narrows to one run. */
  @GetMapping
  List<ApprovalTask> list(
      @RequestParam(defaultValue = "waiting") String state,
      @RequestParam(required = false) String runId,
      @RequestParam(defaultValue = "100") int limit) {
    List<FieldError> errors = new ArrayList<>();
    Optional<ApprovalState> filter = Optional.empty();
    if (!"all".equals(state)) {
      filter = ApprovalState.fromWire(state);
      if (filter.isEmpty()) {
        errors.add(
            new FieldError(
                "state",
                "'"
                    + state
                    + "' is not one of all, "
                    + Arrays.stream(ApprovalState.values())
                        .map(ApprovalState::wire)
                        .collect(Collectors.joining(", "))));
      }
    }
    if (runId != null) {
      InputChecks.runIdError("runId", runId).ifPresent(errors::add);
    }
    InputChecks.limitError(limit).ifPresent(errors::add);
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return approvals.list(filter, Optional.ofNullable(runId), limit);
  }

  @GetMapping("/{id}")
  ApprovalTask show(@PathVariable String id) {
    long key = taskId(id);
    return approvals
        .find(key)
        .orElseThrow(
            () ->
                new ApprovalRefusedException(
                    HttpStatus.NOT_FOUND, "Not found", "No approval task with id " + id));
  }

  @PostMapping("/{id}/decision")
  ApprovalTask decide(
      @PathVariable String id, @RequestBody DecisionRequest request, Principal principal) {
    return approvals.decide(taskId(id), request, principal.getName());
  }

  private static long taskId(String id) {
    try {
      long key = Long.parseLong(id);
      if (key > 0) {
        return key;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new InvalidInputException(
        List.of(new FieldError("id", "must be an approval task id (a positive number)")));
  }
}
