package io.upshift.approval;

import io.upshift.audit.AuditLog;
import io.upshift.engine.EngineCommandException;
import io.upshift.engine.EngineCommands;
import io.upshift.metrics.UpshiftMetrics;
import io.upshift.run.FieldError;
import io.upshift.run.InvalidInputException;
import io.upshift.run.RunEnded;
import io.upshift.run.RunService;
import io.upshift.run.RunState;
import io.upshift.run.RunView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/**
 * The approval inbox: stores the user tasks the engine hands out, takes decisions (with separation
 * of duties: whoever requested a run does not approve it), completes the task in the engine with
 * the outcome variables, and keeps the audit trail.
 *
 * <p>Why an open task can disappear from the engine: an interrupting timer (expiry) or the run
 * ending on another path cancels it, and the engine tells no worker. Upshift closes such tasks when
 * the run ends ({@link RunEnded}: {@code expired} if the run ended expired, else {@code cancelled})
 * and when the engine answers that the task's job is not found (gRPC NOT_FOUND or an HTTP 404
 * problem, whichever protocol the client speaks) or already completed.
 */
@Service
public class ApprovalService {

  /** Variables set on the process when a task is decided; documented in docs/job-types.md. */
  static final String APPROVED = "approved";

  static final String APPROVED_BY = "approvedBy";
  static final String APPROVAL_COMMENT = "approvalComment";
  static final String APPROVED_PLAN_HASH = "approvedPlanHash";
  static final int MAX_COMMENT = 2000;

  /**
   * Variables set when a guided-failure decision task is decided (its evidence lists {@code
   * choices}): the choice (retry, abort, rollback, skip, leave-pending), who took it and why.
   */
  static final String FAILURE_DECISION = "failureDecision";

  static final String FAILURE_DECIDED_BY = "failureDecidedBy";
  static final String FAILURE_DECISION_COMMENT = "failureDecisionComment";

  private static final Logger log = LoggerFactory.getLogger(ApprovalService.class);

  private final ApprovalInbox inbox;
  private final ApprovalAudit audit;
  private final RunService runs;
  private final EngineCommands engine;
  private final Clock clock;
  private final AuditLog auditLog;
  private final UpshiftMetrics metrics;
  private final ApplicationEventPublisher events;

  ApprovalService(
      ApprovalInbox inbox,
      ApprovalAudit audit,
      RunService runs,
      EngineCommands engine,
      Clock clock,
      UpshiftMetrics metrics,
      AuditLog auditLog,
      ApplicationEventPublisher events) {
    this.metrics = metrics;
    this.auditLog = auditLog;
    this.events = events;
    this.inbox = inbox;
    this.audit = audit;
    this.runs = runs;
    this.engine = engine;
    this.clock = clock;
  }

  /**
   * Idempotent by job key: false when the task is already in the inbox. A newly stored task is
   * announced ({@link ApprovalWaiting}) once.
   */
  boolean store(NewTask task) {
    if (!inbox.store(task, clock.instant())) {
      return false;
    }
    Optional<ApprovalTask> stored = inbox.waitingByJobKey(task.jobKey());
    stored.map(ApprovalWaiting::new).ifPresent(events::publishEvent);
    stored
        .filter(t -> t.runId() != null && !choices(t).isEmpty())
        .ifPresent(t -> runs.waitingForDecision(t.runId(), failureSummary(t)));
    return true;
  }

  public Optional<ApprovalTask> find(long id) {
    return inbox.find(id).map(task -> task.withAudit(audit.forTask(id)));
  }

  public List<ApprovalTask> list(Optional<ApprovalState> state, Optional<String> runId, int limit) {
    return inbox.list(state, runId, limit);
  }

  /**
   * Decides a waiting task as {@code user}. The inbox row is claimed first (a conditional update),
   * then the engine's job is completed; if the engine refuses, the claim is undone, so the inbox
   * never shows a decision the engine did not take.
   */
  public ApprovalTask decide(long id, DecisionRequest request, String user) {
    if (request == null) {
      throw new InvalidInputException(
          List.of(new FieldError("body", "is required: {\"decision\": \"approve\"|\"reject\"}")));
    }
    ApprovalTask task =
        inbox
            .find(id)
            .orElseThrow(
                () ->
                    new ApprovalRefusedException(
                        HttpStatus.NOT_FOUND, "Not found", "No approval task with id " + id));
    List<String> choices = choices(task);
    ApprovalState decision = choices.isEmpty() ? validate(request) : validate(request, choices);
    String comment = request.comment() == null ? null : request.comment().strip();
    if (!task.waiting()) {
      throw notOpen(task);
    }
    Optional<String> requester =
        Optional.ofNullable(task.runId()).flatMap(runs::find).map(RunView::requestedBy);
    if (requester.isPresent() && requester.get().equals(user)) {
      auditLog.record(
          user,
          "approval.refused",
          String.valueOf(id),
          "requester of run " + task.runId() + " tried to " + request.decision());
      throw new ApprovalRefusedException(
          HttpStatus.FORBIDDEN,
          "Separation of duties",
          "User '"
              + user
              + "' requested run "
              + task.runId()
              + " and may not decide its approval task; another approver must.");
    }
    Instant now = clock.instant();
    if (!inbox.decide(id, decision, user, comment, now)) {
      throw notOpen(inbox.find(id).orElse(task));
    }
    try {
      engine.completeJob(
          task.jobKey(),
          choices.isEmpty()
              ? outcome(task, decision, user, comment)
              : choice(decision, user, comment));
    } catch (EngineCommandException e) {
      // The same over gRPC (NOT_FOUND) and REST (404 problem detail); a job that is gone was
      // completed or cancelled with its run: either way it no longer waits for this decision.
      if (e.outcome() == EngineCommandException.Outcome.NOT_FOUND
          || e.outcome() == EngineCommandException.Outcome.ALREADY_COMPLETED) {
        inbox.closeTask(id, ApprovalState.CANCELLED, now);
        audit.append(
            task,
            ApprovalState.CANCELLED,
            ApprovalAudit.SYSTEM,
            "the engine no longer had the task when " + user + " decided " + decision.wire(),
            now);
        log.info("Approval task {} was no longer open in the engine; closed as cancelled", id);
        throw new ApprovalRefusedException(
            HttpStatus.CONFLICT,
            "Task no longer open",
            "The engine no longer has approval task "
                + id
                + " (its run moved on, e.g. the expiry timer fired); nothing was decided.");
      }
      inbox.reopen(id, decision);
      throw engineUnavailable(id, e);
    } catch (RuntimeException e) {
      inbox.reopen(id, decision);
      throw engineUnavailable(id, e);
    }
    audit.append(task, decision, user, comment, now);
    auditLog.record(
        user,
        "approval." + decision.wire(),
        String.valueOf(id),
        "run "
            + task.runId()
            + ", plan "
            + task.planHash()
            + (comment == null || comment.isEmpty() ? "" : ": " + comment));
    Duration waited = Duration.between(task.createdAt(), now);
    if (decision == ApprovalState.APPROVED) {
      metrics.approvalGranted(task.runbook(), waited);
    } else if (decision == ApprovalState.REJECTED) {
      metrics.approvalRejected(task.runbook(), waited);
    } else if (task.runId() != null) {
      runs.failureDecided(task.runId(), decision.wire(), user);
    }
    log.info(
        "Approval task {} of run {} {} by {} (plan {})",
        id,
        task.runId(),
        decision.wire(),
        user,
        task.planHash());
    return find(id).orElseThrow();
  }

  /**
   * The non-interrupting reminder timer fired: stamps the instance's waiting tasks and announces
   * each ({@link ApprovalReminded}).
   */
  int remind(long processInstanceKey, long reminderJobKey) {
    int reminded = inbox.reminded(processInstanceKey, clock.instant());
    if (reminded > 0) {
      for (ApprovalTask task : inbox.waitingIn(processInstanceKey)) {
        events.publishEvent(new ApprovalReminded(task, reminderJobKey));
      }
    }
    return reminded;
  }

  /**
   * The run ended: tasks still waiting were cancelled by the engine with it (an expiry timer or
   * another path). They must not stay open in the inbox.
   */
  @EventListener
  public void runEnded(RunEnded ended) {
    ApprovalState closed =
        ended.state() == RunState.EXPIRED ? ApprovalState.EXPIRED : ApprovalState.CANCELLED;
    for (ApprovalTask task : inbox.waitingIn(ended.processInstanceKey())) {
      if (inbox.close(task.id(), closed, ended.at())) {
        if (closed == ApprovalState.EXPIRED) {
          metrics.approvalExpired(task.runbook(), Duration.between(task.createdAt(), ended.at()));
        }
        audit.append(
            task,
            closed,
            ApprovalAudit.SYSTEM,
            "run ended " + ended.state().wire() + " before a decision",
            ended.at());
        log.info("Approval task {} of run {} closed as {}", task.id(), task.runId(), closed.wire());
      }
    }
  }

  /**
   * A decision task's timer fired and the model took the safe choice: the instance's waiting tasks
   * of that element are closed as expired, each with an audit row naming the choice.
   *
   * @return how many tasks were closed
   */
  int expire(long processInstanceKey, String elementId, String safeChoice) {
    Instant now = clock.instant();
    int closed = 0;
    for (ApprovalTask task : inbox.waitingIn(processInstanceKey)) {
      if (!task.elementId().equals(elementId)
          || !inbox.close(task.id(), ApprovalState.EXPIRED, now)) {
        continue;
      }
      String why = "no decision in time; Upshift took the safe choice: " + safeChoice;
      audit.append(task, ApprovalState.EXPIRED, ApprovalAudit.SYSTEM, why, now);
      auditLog.record(
          ApprovalAudit.SYSTEM,
          "approval.expired",
          String.valueOf(task.id()),
          "run " + task.runId() + ": " + why);
      if (task.runId() != null) {
        runs.failureDecided(task.runId(), safeChoice, ApprovalAudit.SYSTEM);
      }
      log.warn("Task {} of run {}: {}", task.id(), task.runId(), why);
      closed++;
    }
    return closed;
  }

  /** The embedded engine started without state: no waiting task exists there any more. */
  void engineStartedEmpty() {
    Instant now = clock.instant();
    int closed = 0;
    for (ApprovalTask task : inbox.allWaiting()) {
      if (inbox.close(task.id(), ApprovalState.CANCELLED, now)) {
        audit.append(
            task,
            ApprovalState.CANCELLED,
            ApprovalAudit.SYSTEM,
            "the embedded engine restarted without state; its run cannot continue",
            now);
        closed++;
      }
    }
    if (closed > 0) {
      log.warn(
          "{} approval task(s) closed as cancelled: the embedded engine restarted and lost them"
              + " with their runs",
          closed);
    }
  }

  private static Map<String, Object> outcome(
      ApprovalTask task, ApprovalState decision, String user, String comment) {
    Map<String, Object> variables = new LinkedHashMap<>();
    variables.put(APPROVED, decision == ApprovalState.APPROVED);
    variables.put(APPROVED_BY, user);
    variables.put(APPROVAL_COMMENT, comment == null ? "" : comment);
    variables.put(APPROVED_PLAN_HASH, task.planHash() == null ? "" : task.planHash());
    return variables;
  }

  /** What the run shows while it waits: the task, the failed step, its error, the choices. */
  private static String failureSummary(ApprovalTask task) {
    var step = task.evidence().path("failedStep");
    return "failure decision: task "
        + task.id()
        + " ("
        + task.name()
        + "): step "
        + step.path("elementId").asText("?")
        + " failed: "
        + step.path("message").asText("")
        + "; choices: "
        + String.join(", ", choices(task));
  }

  /** The variables a guided-failure decision sets on the process. */
  private static Map<String, Object> choice(ApprovalState decision, String user, String comment) {
    Map<String, Object> variables = new LinkedHashMap<>();
    variables.put(FAILURE_DECISION, decision.wire());
    variables.put(FAILURE_DECIDED_BY, user);
    variables.put(FAILURE_DECISION_COMMENT, comment == null ? "" : comment);
    return variables;
  }

  /** The choices a guided-failure task allows (its evidence's {@code choices}); empty otherwise. */
  public static List<String> choices(ApprovalTask task) {
    List<String> choices = new ArrayList<>();
    if (task.evidence() != null && task.evidence().path("choices").isArray()) {
      task.evidence().path("choices").forEach(c -> choices.add(c.asText()));
    }
    return choices;
  }

  private static ApprovalState validate(DecisionRequest request, List<String> allowed) {
    List<FieldError> errors = new ArrayList<>();
    Optional<ApprovalState> choice =
        Optional.ofNullable(request.decision())
            .filter(allowed::contains)
            .flatMap(ApprovalState::choice);
    if (choice.isEmpty()) {
      errors.add(
          new FieldError(
              "decision",
              (request.decision() == null
                      ? "is required"
                      : "'" + request.decision() + "' is not allowed here")
                  + ": one of "
                  + String.join(", ", allowed)));
    }
    if (request.comment() != null && request.comment().length() > MAX_COMMENT) {
      errors.add(new FieldError("comment", "may have at most " + MAX_COMMENT + " characters"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return choice.get();
  }

  private static ApprovalState validate(DecisionRequest request) {
    List<FieldError> errors = new ArrayList<>();
    ApprovalState decision = null;
    if ("approve".equals(request.decision())) {
      decision = ApprovalState.APPROVED;
    } else if ("reject".equals(request.decision())) {
      decision = ApprovalState.REJECTED;
    } else {
      errors.add(
          new FieldError(
              "decision",
              request.decision() == null
                  ? "is required: approve or reject"
                  : "'" + request.decision() + "' is not one of approve, reject"));
    }
    if (request.comment() != null && request.comment().length() > MAX_COMMENT) {
      errors.add(new FieldError("comment", "may have at most " + MAX_COMMENT + " characters"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return decision;
  }

  private static ApprovalRefusedException notOpen(ApprovalTask task) {
    return new ApprovalRefusedException(
        HttpStatus.CONFLICT,
        "Task not open",
        "Approval task "
            + task.id()
            + " is "
            + task.state()
            + (task.decidedBy() == null ? "" : " (by " + task.decidedBy() + ")")
            + "; only waiting tasks can be decided.");
  }

  private static ApprovalRefusedException engineUnavailable(long id, RuntimeException e) {
    log.warn("Completing approval task {} failed: {}", id, e.getMessage());
    return new ApprovalRefusedException(
        HttpStatus.SERVICE_UNAVAILABLE,
        "Engine unavailable",
        "The engine did not take the decision on task "
            + id
            + " ("
            + e.getMessage()
            + "); the task stays open, try again.");
  }
}
