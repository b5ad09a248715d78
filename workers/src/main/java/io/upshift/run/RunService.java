package io.upshift.run;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.ProcessInstanceEvent;
import io.upshift.audit.AuditLog;
import io.upshift.engine.DeployedRunbooks;
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
import org.springframework.stereotype.Service;

/** Starts runs on the engine and answers what the journal knows about them. */
@Service
public class RunService {

  /** Variables Upshift sets itself; a caller may not supply them. */
  static final Set<String> RESERVED = Set.of(JobSteps.RUN_ID, "outcome", "outcomeMessage");

  private static final Pattern RUNBOOK_ID = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,199}");
  private static final Logger log = LoggerFactory.getLogger(RunService.class);

  private final CamundaClient client;
  private final DeployedRunbooks runbooks;
  private final RunJournal journal;
  private final Map<String, RunbookInputValidator> validators = new HashMap<>();
  private final Clock clock;
  private final UpshiftMetrics metrics;
  private final AuditLog audit;

  RunService(
      CamundaClient client,
      DeployedRunbooks runbooks,
      RunJournal journal,
      List<RunbookInputValidator> validators,
      Clock clock,
      UpshiftMetrics metrics,
      AuditLog audit) {
    this.audit = audit;
    this.client = client;
    this.runbooks = runbooks;
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
    validators.forEach(v -> this.validators.put(v.runbook(), v));
  }

  public RunView start(StartRunRequest request, String requestedBy) {
    int version = validate(request);
    Map<String, Object> variables =
        new HashMap<>(request.variables() == null ? Map.of() : request.variables());
    String runId = UUID.randomUUID().toString();
    variables.put(JobSteps.RUN_ID, runId);
    Instant now = clock.instant();
    journal.created(runId, request.runbook(), version, requestedBy, now);
    ProcessInstanceEvent instance;
    try {
      instance =
          client
              .newCreateInstanceCommand()
              .bpmnProcessId(request.runbook())
              .latestVersion()
              .variables(variables)
              .send()
              .join();
    } catch (RuntimeException e) {
      journal.abandoned(
          runId, "The engine refused to start the run: " + e.getMessage(), clock.instant());
      throw new EngineRefusedException(runId, e);
    }
    // From here on the run exists in the engine: nothing below may report it as refused.
    journal.instanceStarted(runId, instance.getProcessInstanceKey());
    metrics.runStarted(request.runbook());
    audit.record(requestedBy, "run.start", runId, describe(request));
    log.info(
        "Run {} started: {} v{} as instance {}",
        runId,
        request.runbook(),
        instance.getVersion(),
        instance.getProcessInstanceKey());
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
          "signOffWindow");

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
