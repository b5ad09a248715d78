package io.upshift.run;

import io.upshift.audit.AuditLog;
import io.upshift.engine.DeployedRunbooks;
import io.upshift.engine.EngineCommandException;
import io.upshift.engine.EngineCommands;
import io.upshift.metrics.UpshiftMetrics;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionOperations;
import org.springframework.web.server.ResponseStatusException;

/** Starts runs on the engine and answers what the journal knows about them. */
@Service
public class RunService {

  /** Variables Upshift sets itself; a caller may not supply them. */
  static final Set<String> RESERVED = Set.of(JobSteps.RUN_ID, "outcome", "outcomeMessage");

  /**
   * Job type of the step that starts a platform's cutover: from there on a cancel is a rollback.
   */
  public static final String CUTOVER_START = "upshift.compose.stop";

  /** The longest reason a cancel or abandon takes (the audit trail keeps 2000 characters). */
  static final int MAX_REASON = 2000;

  private static final Pattern RUNBOOK_ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,199}");
  private static final Logger log = LoggerFactory.getLogger(RunService.class);

  private final EngineCommands engine;
  private final DeployedRunbooks runbooks;
  private final RunJournal journal;
  private final Map<String, RunbookInputValidator> validators = new HashMap<>();
  private final Clock clock;
  private final UpshiftMetrics metrics;
  private final AuditLog audit;
  private final PlatformLock locks;
  private final TransactionOperations transactions;
  private final ApplicationEventPublisher events;
  private final CancelRequests cancels;
  private final CutoverProgress cutover;
  private final RunCheckpoints checkpoints;
  private final ResumePoints resumePoints;

  RunService(
      EngineCommands engine,
      DeployedRunbooks runbooks,
      RunJournal journal,
      List<RunbookInputValidator> validators,
      Clock clock,
      UpshiftMetrics metrics,
      AuditLog audit,
      PlatformLock locks,
      TransactionOperations transactions,
      ApplicationEventPublisher events,
      CancelRequests cancels,
      CutoverProgress cutover,
      RunCheckpoints checkpoints,
      ResumePoints resumePoints,
      RunProperties properties) {
    this.checkpoints = checkpoints;
    this.resumePoints = resumePoints;
    this.properties = properties;
    this.cancels = cancels;
    this.cutover = cutover;
    this.audit = audit;
    this.locks = locks;
    this.transactions = transactions;
    this.events = events;
    this.engine = engine;
    this.runbooks = runbooks;
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
    validators.forEach(v -> this.validators.put(v.runbook(), v));
  }

  private final RunProperties properties;

  public RunView start(StartRunRequest request, String requestedBy) {
    int version = validate(request);
    Map<String, Object> variables =
        new HashMap<>(request.variables() == null ? Map.of() : request.variables());
    String runId = UUID.randomUUID().toString();
    variables.put(JobSteps.RUN_ID, runId);
    variables.putIfAbsent(
        RunProperties.FAILURE_DECISION_TIMEOUT, properties.failureDecisionTimeout().toString());
    Instant now = clock.instant();
    Optional<String> platform =
        Optional.ofNullable(validators.get(request.runbook()))
            .flatMap(v -> v.platform(request.variables() == null ? Map.of() : request.variables()));
    // One transaction: the run and its platform lock exist together or not at all. The lock's
    // primary key refuses a second run of the platform however close the two starts are.
    try {
      transactions.executeWithoutResult(
          tx -> {
            journal.created(runId, request.runbook(), version, requestedBy, now);
            platform.ifPresent(p -> locks.acquire(p, runId, now));
            checkpoints.started(runId, null, variables);
          });
    } catch (PlatformLock.Taken taken) {
      throw locks.busy(taken);
    }
    long instanceKey;
    try {
      instanceKey = engine.startInstance(request.runbook(), variables);
    } catch (RuntimeException e) {
      journal.abandoned(
          runId, "The engine refused to start the run: " + e.getMessage(), clock.instant());
      throw new EngineRefusedException(runId, e);
    }
    // From here on the run exists in the engine: nothing below may report it as refused.
    journal.instanceStarted(runId, instanceKey);
    metrics.runStarted(request.runbook());
    audit.record(requestedBy, "run.start", runId, describe(request));
    log.info(
        "Run {} started: {} v{} as instance {}", runId, request.runbook(), version, instanceKey);
    return journal.find(runId).orElseThrow();
  }

  /** Inputs whose values the audit trail records; other variables are named, never copied. */
  private static final Set<String> AUDITED_VALUES =
      Set.of(
          "platform",
          "targetVersion",
          "allowSteppingStones",
          "approvalTimeout",
          "reminderAfter",
          "signOffWindow",
          RunProperties.FAILURE_DECISION_TIMEOUT);

  /** What the audit trail says about a started run: the runbook and its inputs. */
  private static String describe(StartRunRequest request) {
    StringBuilder text = new StringBuilder(request.runbook());
    if (request.variables() != null) {
      new TreeMap<>(request.variables())
          .forEach(
              (name, value) ->
                  text.append(' ')
                      .append(name)
                      .append(AUDITED_VALUES.contains(name) ? "=" + value : ""));
    }
    return text.toString();
  }

  /**
   * Guided failure: the run waits for a person to decide on a failed step; the run's {@code
   * waitingFor} says so (the task, the failed step, its error, the choices).
   */
  public void waitingForDecision(String runId, String what) {
    journal.waitingFor(runId, what);
    log.warn("Run {} waits for a {}", runId, what);
  }

  /** Guided failure: the decision was taken (by a person or, at the timeout, by the model). */
  public void failureDecided(String runId, String choice, String by) {
    journal.waitingFor(runId, null);
    log.info("Run {}: failure decision {} by {}", runId, choice, by);
  }

  public Optional<RunView> find(String runId) {
    return journal.find(runId);
  }

  /**
   * The newest runs first, filtered.
   *
   * @param state a run state as the API writes it ({@code active}, {@code rolled-back}, ...)
   * @param runbook a runbook (BPMN process) id
   * @throws InvalidInputException naming {@code state} or {@code limit} when they are not allowed
   */
  public List<RunView> recent(Optional<String> state, Optional<String> runbook, int limit) {
    List<FieldError> errors = new ArrayList<>();
    Optional<RunState> filter = Optional.empty();
    if (state.isPresent()) {
      filter =
          java.util.Arrays.stream(RunState.values())
              .filter(s -> s.wire().equals(state.get()))
              .findFirst();
      if (filter.isEmpty()) {
        errors.add(
            new FieldError(
                "state",
                "'"
                    + state.get()
                    + "' is not one of "
                    + java.util.Arrays.stream(RunState.values())
                        .map(RunState::wire)
                        .collect(java.util.stream.Collectors.joining(", "))));
      }
    }
    InputChecks.limitError(limit).ifPresent(errors::add);
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return journal.recent(filter, runbook, limit);
  }

  private int validate(StartRunRequest request) {
    List<FieldError> errors = new ArrayList<>();
    String runbook = request.runbook();
    Optional<Integer> version = Optional.empty();
    if (runbook == null || runbook.isBlank()) {
      errors.add(
          new FieldError("runbook", "is required: one of " + String.join(", ", runbooks.ids())));
    } else if (!RUNBOOK_ID.matcher(runbook).matches()
        || (version = runbooks.version(runbook)).isEmpty()) {
      errors.add(
          new FieldError(
              "runbook",
              "'"
                  + runbook
                  + "' is not a deployed runbook; one of "
                  + String.join(", ", runbooks.ids())));
    }
    Map<String, Object> variables = request.variables() == null ? Map.of() : request.variables();
    for (String name : variables.keySet()) {
      if (RESERVED.contains(name)) {
        errors.add(
            new FieldError("variables." + name, "is set by Upshift and may not be supplied"));
      }
    }
    if (version.isPresent() && validators.containsKey(runbook)) {
      validators.get(runbook).validate(variables).stream()
          .map(e -> new FieldError("variables." + e.field(), e.message()))
          .forEach(errors::add);
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return version.orElseThrow();
  }

  /**
   * Cancels an active run. Before its cutover (no {@value #CUTOVER_START} step started) the engine
   * instance is cancelled and nothing else is undone: nothing on the platform changed yet, and a
   * restore rehearsal removes its scratch containers itself. The run ends {@code cancelled} with
   * the reason, its platform lock is released, and the cancel is audited.
   *
   * @throws InvalidInputException naming {@code id} or {@code reason}
   * @throws RunConflictException when the run is not active, or is inside its cutover
   * @throws ResponseStatusException 404 when there is no such run
   */
  public RunView cancel(String runId, String reason, String actor) {
    String why = checked(runId, reason);
    RunView run = existing(runId);
    if (!RunState.ACTIVE.wire().equals(run.state())) {
      throw new RunConflictException(
          "Run not active",
          RunState.INTERRUPTED.wire().equals(run.state())
              ? "Run "
                  + runId
                  + " is interrupted: the engine no longer has it, so there is nothing to cancel."
                  + " Resume it (POST /api/runs/"
                  + runId
                  + "/resume), roll it back (POST /api/runs/"
                  + runId
                  + "/rollback), or look at the platform, then abandon it (POST /api/runs/"
                  + runId
                  + "/abandon)."
              : "Run " + runId + " has ended (" + run.state() + "); only active runs are cancelled",
          runId);
    }
    return cutoverStep(run).isPresent()
        ? cancelInsideCutover(run, cutoverStep(run).orElseThrow(), why, actor)
        : cancelBeforeCutover(run, why, actor);
  }

  /**
   * Inside the cutover a cancel means rolling back what the hop in progress changed. The run is not
   * stopped where it stands (that would leave the platform half changed): the cancel is recorded,
   * and the next cutover step fails with its own failure code (task header {@value
   * JobSteps#ON_CANCEL}), so the model rolls the hop back as after any failure; the run then ends
   * {@code rolled-back} with "Cancelled by ... during the cutover" in its outcome. Only while a hop
   * is changing the platform: between hops, at the sign-off or during a rollback there is nothing a
   * cancel could undo, and the answer says so.
   */
  private RunView cancelInsideCutover(RunView run, RunView.Step stop, String reason, String actor) {
    boolean rollingBack =
        run.steps().stream().anyMatch(s -> s.jobType().startsWith("upshift.rollback."));
    if (rollingBack || !cutover.hopInProgress(run.id())) {
      throw new RunConflictException(
          rollingBack ? "Rolling back" : "No hop in progress",
          "Run "
              + run.id()
              + (rollingBack
                  ? " is already rolling back; it ends by itself."
                  : " has no hop changing the platform right now (the cutover started at step "
                      + stop.elementId()
                      + "): the hops that ran are verified and stay. To go back after the"
                      + " cutover, see docs/operations.md, \"Going back after a completed"
                      + " upgrade\"."),
          run.id());
    }
    cancels.request(run.id(), actor, reason);
    audit.record(
        actor, "run.cancel", run.id(), reason + " (inside the cutover: the hop is rolled back)");
    log.info(
        "Run {}: cancel asked by {} inside the cutover; the hop will be rolled back",
        run.id(),
        actor);
    return journal.find(run.id()).orElse(run);
  }

  private RunView cancelBeforeCutover(RunView run, String reason, String actor) {
    if (run.processInstanceKey() == null) {
      // Created a moment ago and not yet on the engine: cancelling now could miss the instance.
      throw new RunConflictException(
          "Run starting",
          "Run " + run.id() + " is being started on the engine; try again in a moment",
          run.id());
    }
    String note = "";
    try {
      engine.cancelInstance(run.processInstanceKey());
    } catch (RuntimeException e) {
      if (!notFound(e)) {
        throw new EngineCommandFailedException(
            run.id(),
            "The engine did not cancel run "
                + run.id()
                + " (instance "
                + run.processInstanceKey()
                + "): "
                + e.getMessage()
                + ". Nothing was changed; try again.",
            e);
      }
      // Gone from the engine: it ended just now (the end listener records how), or the engine
      // lost it. Only an instance the journal still calls active is recorded as cancelled.
      note = " (the engine no longer had instance " + run.processInstanceKey() + ")";
    }
    Instant now = clock.instant();
    RunView after = journal.find(run.id()).orElseThrow();
    String warning =
        cutoverStep(after)
            .map(
                stop ->
                    " Warning: step "
                        + stop.elementId()
                        + " started while the run was being cancelled; the platform's services"
                        + " may be stopped: check it (docs/operations.md, \"Restoring by hand\").")
            .orElse("");
    String message =
        "Cancelled by " + who(actor) + " before the cutover: " + reason + note + "." + warning;
    if (!journal.ended(run.id(), RunState.CANCELLED, message, run.currentElement(), now)) {
      RunView ended = journal.find(run.id()).orElseThrow();
      throw new RunConflictException(
          "Run not active",
          "Run " + run.id() + " ended " + ended.state() + " before it could be cancelled",
          run.id());
    }
    RunView cancelled = journal.find(run.id()).orElseThrow();
    metrics.runFinished(
        cancelled.runbook(),
        RunState.CANCELLED.metricTag(),
        java.time.Duration.between(cancelled.startedAt(), cancelled.endedAt()));
    audit.record(actor, "run.cancel", run.id(), reason + note + warning);
    log.info("Run {} cancelled by {}: {}{}", run.id(), who(actor), reason, note);
    events.publishEvent(
        new RunEnded(run.id(), run.processInstanceKey(), RunState.CANCELLED, now, true));
    return cancelled;
  }

  /**
   * Abandons an interrupted run (the embedded engine lost it in a restart): after an operator
   * looked at the platform, the run ends {@code abandoned} and releases its platform lock. The
   * outcome message says what to check and restore by hand.
   *
   * @throws RunConflictException when the run is not interrupted
   */
  public RunView abandon(String runId, String reason, String actor) {
    String why = checked(runId, reason);
    RunView run = existing(runId);
    if (!RunState.INTERRUPTED.wire().equals(run.state())) {
      throw new RunConflictException(
          "Run not interrupted",
          "Run "
              + runId
              + " is "
              + run.state()
              + "; only interrupted runs are abandoned"
              + (RunState.ACTIVE.wire().equals(run.state()) ? " (cancel an active run)" : ""),
          runId);
    }
    String byHand =
        cutoverStep(run)
            .map(
                stop ->
                    "It had reached the cutover ("
                        + stop.elementId()
                        + " started at "
                        + stop.startedAt()
                        + "), so the platform may be stopped, half migrated or on the new"
                        + " release: check it and restore it by hand if needed, see"
                        + " docs/operations.md, \"Restoring by hand\" (the run's backups are"
                        + " listed on its page), or \"Going back after a completed upgrade\" if"
                        + " its verification had passed.")
            .orElse(
                "It was interrupted before the cutover: the platform's services were not"
                    + " stopped or changed. Upshift removed at its start what a restore"
                    + " rehearsal that was running left on Docker (labelled io.upshift.rehearsal"
                    + " with the run id).");
    String message =
        "Abandoned by "
            + who(actor)
            + ": "
            + why
            + ". "
            + byHand
            + " Before: "
            + (run.outcomeMessage() == null ? "interrupted" : run.outcomeMessage());
    if (!journal.abandonInterrupted(runId, message)) {
      throw new RunConflictException(
          "Run not interrupted", "Run " + runId + " was abandoned meanwhile", runId);
    }
    audit.record(actor, "run.abandon", runId, why);
    log.warn("Run {} abandoned by {}: {}", runId, who(actor), why);
    return journal.find(runId).orElseThrow();
  }

  /**
   * Resumes an interrupted run where it stopped: a new engine instance of the same runbook starts
   * before the element the run was at, with the variables kept after its last completed step
   * ({@link RunCheckpoints}); the run keeps its id, its platform lock and its journal, and is
   * {@code active} again with the new instance. The step that was interrupted runs again: workers
   * are idempotent per run and step, so it finds what it had done. A step of the cutover restarts
   * its hop from the hop's first step (the engine cannot start inside a multi-instance subprocess,
   * {@link ResumePoints}). Audited as {@code run.resume}.
   *
   * @throws RunConflictException when the run is not interrupted or cannot be resumed
   * @throws EngineCommandFailedException when the engine refused the new instance (the run stays
   *     interrupted)
   */
  public RunView resume(String runId, String reason, String actor) {
    String why = checked(runId, reason);
    RunView run = existing(runId);
    requireInterrupted(run, "resumed");
    RunCheckpoints.Checkpoint kept =
        checkpoints
            .find(runId)
            .orElseThrow(
                () ->
                    new RunConflictException(
                        "Nothing kept",
                        "Run "
                            + runId
                            + " has no kept variables and position (it started before Upshift"
                            + " kept them), so it cannot be resumed. Look at the platform, then"
                            + " abandon it.",
                        runId));
    ResumePoints.Start start;
    try {
      start = resumePoints.resumeAt(run.runbook(), kept.elementId(), kept.variables());
    } catch (ResumePoints.NotResumable e) {
      throw new RunConflictException(
          "Not resumable",
          "Run "
              + runId
              + " cannot be resumed: "
              + e.getMessage()
              + ". Roll it back or abandon it.",
          runId);
    }
    return restart(run, start, "resume", why, actor);
  }

  /**
   * Rolls back an interrupted run whose cutover changed the platform: a new engine instance starts
   * the runbook's rollback path (its {@value ResumePoints#ROLLBACK_ENTRY} step) with the kept
   * variables. The rollback reads the cutover log and undoes exactly what the unfinished hop did,
   * in reverse, as after a failed step; the run ends {@code rolled-back} after the review. Refused
   * when no hop of the run changed the platform without finishing: there is nothing to undo, and
   * the answer says to resume or abandon. Audited as {@code run.rollback}.
   *
   * @throws RunConflictException when the run is not interrupted or has nothing to roll back
   */
  public RunView rollback(String runId, String reason, String actor) {
    String why = checked(runId, reason);
    RunView run = existing(runId);
    requireInterrupted(run, "rolled back");
    if (!cutover.hopInProgress(runId)) {
      throw new RunConflictException(
          "Nothing to roll back",
          "Run "
              + runId
              + " has no hop that changed the platform and did not finish (its cutover log):"
              + " there is nothing to undo. Resume it, or look at the platform and abandon it.",
          runId);
    }
    Optional<String> entry;
    try {
      entry = resumePoints.rollbackEntry(run.runbook());
    } catch (ResumePoints.NotResumable e) {
      entry = Optional.empty();
    }
    if (entry.isEmpty()) {
      throw new RunConflictException(
          "No rollback path",
          "Run "
              + runId
              + " cannot be rolled back: its runbook "
              + run.runbook()
              + " has no rollback path (a "
              + ResumePoints.ROLLBACK_ENTRY
              + " step). Restore by hand, then abandon it.",
          runId);
    }
    Map<String, Object> variables =
        new HashMap<>(
            checkpoints
                .find(runId)
                .map(RunCheckpoints.Checkpoint::variables)
                .orElse(Map.of(JobSteps.RUN_ID, runId)));
    variables.remove(RunCheckpoints.LOOP_COUNTER);
    variables.put("outcome", RunState.ROLLED_BACK.wire());
    variables.put(
        "outcomeMessage",
        interruptedAt(run)
            + ": interrupted by a restart of Upshift; rolled back as "
            + who(actor)
            + " chose: "
            + why);
    return restart(
        run,
        new ResumePoints.Start(
            entry.get(), variables, "at " + entry.get() + ", the start of the rollback path"),
        "rollback",
        why,
        actor);
  }

  /** Whether a hop of the run changed the platform and did not finish: a rollback has work. */
  public boolean canRollBack(String runId) {
    return cutover.hopInProgress(runId);
  }

  private static void requireInterrupted(RunView run, String what) {
    if (!RunState.INTERRUPTED.wire().equals(run.state())) {
      throw new RunConflictException(
          "Run not interrupted",
          "Run "
              + run.id()
              + " is "
              + run.state()
              + "; only interrupted runs are "
              + what
              + (RunState.ACTIVE.wire().equals(run.state())
                  ? " (an active run goes on by itself; cancel it to stop it)"
                  : ""),
          run.id());
    }
  }

  /** The step the run was in when it stopped, else the last one it ran. */
  private static String interruptedAt(RunView run) {
    List<RunView.Step> steps = run.steps();
    return steps.isEmpty() ? "Before its first step" : steps.get(steps.size() - 1).elementId();
  }

  /**
   * Makes an interrupted run active again on a new engine instance; the run keeps its id, journal
   * and platform lock, and the new instance key replaces the lost one.
   */
  private RunView restart(
      RunView run, ResumePoints.Start start, String action, String why, String actor) {
    String verb = action.equals("resume") ? "Resumed" : "Rolling back, started";
    String message = verb + " by " + who(actor) + " " + start.note() + ": " + why;
    if (!journal.reopen(run.id(), message)) {
      throw new RunConflictException(
          "Run not interrupted", "Run " + run.id() + " was decided meanwhile", run.id());
    }
    checkpoints.started(run.id(), start.elementId(), start.variables());
    long instanceKey;
    try {
      instanceKey =
          start.elementId() == null
              ? engine.startInstance(run.runbook(), start.variables())
              : engine.startInstanceBefore(run.runbook(), start.elementId(), start.variables());
    } catch (RuntimeException e) {
      journal.interruptAgain(
          run.id(),
          (run.outcomeMessage() == null ? "Interrupted." : run.outcomeMessage())
              + " The "
              + action
              + " asked by "
              + who(actor)
              + " was refused by the engine: "
              + e.getMessage(),
          run.endedAt() == null ? clock.instant() : run.endedAt());
      throw new EngineCommandFailedException(
          run.id(),
          "The engine did not start run "
              + run.id()
              + " again: "
              + e.getMessage()
              + ". The run is still interrupted; try again.",
          e);
    }
    journal.instanceStarted(run.id(), instanceKey);
    audit.record(
        actor,
        "run." + action,
        run.id(),
        why + " (" + start.note() + "; new instance " + instanceKey + ")");
    log.warn(
        "Run {}: {} by {} {} as instance {}",
        run.id(),
        action,
        who(actor),
        start.note(),
        instanceKey);
    return journal.find(run.id()).orElseThrow();
  }

  private String checked(String runId, String reason) {
    List<FieldError> errors = new ArrayList<>();
    InputChecks.runIdError("id", runId).ifPresent(errors::add);
    String why = reason == null ? "" : reason.strip();
    if (why.isEmpty()) {
      errors.add(new FieldError("reason", "is required: say why; it goes into the audit trail"));
    } else if (why.length() > MAX_REASON) {
      errors.add(
          new FieldError(
              "reason",
              "has " + why.length() + " characters; at most " + MAX_REASON + " are allowed"));
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException(errors);
    }
    return why;
  }

  private RunView existing(String runId) {
    return journal
        .find(runId)
        .orElseThrow(
            () -> new ResponseStatusException(HttpStatus.NOT_FOUND, "No run with id " + runId));
  }

  /** The step that started the run's cutover, if one did. */
  static Optional<RunView.Step> cutoverStep(RunView run) {
    return run.steps().stream().filter(s -> CUTOVER_START.equals(s.jobType())).findFirst();
  }

  private static boolean notFound(RuntimeException e) {
    return e instanceof EngineCommandException command && command.notFound();
  }

  private static String who(String actor) {
    return actor == null || actor.isBlank() ? "anonymous" : actor;
  }

  /** The engine did not carry out a command for a run (cancel); nothing was changed. */
  public static class EngineCommandFailedException extends RuntimeException {
    private final String runId;

    EngineCommandFailedException(String runId, String message, Throwable cause) {
      super(message, cause);
      this.runId = runId;
    }

    public String runId() {
      return runId;
    }
  }

  /** The request was valid but the engine did not take it; the run is recorded as failed. */
  public static class EngineRefusedException extends RuntimeException {
    private final String runId;

    EngineRefusedException(String runId, Throwable cause) {
      super("The engine refused to start run " + runId + ": " + cause.getMessage(), cause);
      this.runId = runId;
    }

    public String runId() {
      return runId;
    }
  }
}
