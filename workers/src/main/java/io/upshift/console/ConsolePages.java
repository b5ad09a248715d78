package io.upshift.console;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.upshift.approval.ApprovalRefusedException;
import io.upshift.approval.ApprovalService;
import io.upshift.approval.ApprovalState;
import io.upshift.approval.ApprovalTask;
import io.upshift.approval.DecisionRequest;
import io.upshift.audit.AuditLog;
import io.upshift.backup.BackupCatalog;
import io.upshift.engine.DeployedRunbooks;
import io.upshift.platform.PlatformRegistry;
import io.upshift.run.FieldError;
import io.upshift.run.InputChecks;
import io.upshift.run.InvalidInputException;
import io.upshift.run.RunConflictException;
import io.upshift.run.RunService;
import io.upshift.run.RunState;
import io.upshift.run.RunView;
import io.upshift.run.StartRunRequest;
import java.security.Principal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The operator console: server-rendered pages over the same services as the API. Forms post with
 * the session's CSRF token; every action lands in the audit log through the services it calls.
 */
@Controller
class ConsolePages {

  private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

  private final ApprovalService approvals;
  private final RunService runs;
  private final UpgradeRecords records;
  private final BackupCatalog backups;
  private final AuditLog audit;
  private final RunbookModels models;
  private final DeployedRunbooks deployed;
  private final PlatformRegistry platforms;
  private final ObjectProvider<ClientRegistrationRepository> oidcClients;
  private final ObjectMapper json;

  ConsolePages(
      ApprovalService approvals,
      RunService runs,
      UpgradeRecords records,
      BackupCatalog backups,
      AuditLog audit,
      RunbookModels models,
      DeployedRunbooks deployed,
      PlatformRegistry platforms,
      ObjectProvider<ClientRegistrationRepository> oidcClients,
      ObjectMapper json) {
    this.approvals = approvals;
    this.runs = runs;
    this.records = records;
    this.backups = backups;
    this.audit = audit;
    this.models = models;
    this.deployed = deployed;
    this.platforms = platforms;
    this.oidcClients = oidcClients;
    this.json = json;
  }

  @GetMapping("/")
  String home() {
    return "redirect:/inbox";
  }

  @GetMapping("/login")
  String login(Model model) {
    List<Map<String, String>> providers = new ArrayList<>();
    ClientRegistrationRepository clients = oidcClients.getIfAvailable();
    if (clients instanceof Iterable<?> registrations) {
      for (Object each : registrations) {
        ClientRegistration client = (ClientRegistration) each;
        providers.add(
            Map.of(
                "name",
                client.getClientName(),
                "url",
                "/oauth2/authorization/" + client.getRegistrationId()));
      }
    }
    model.addAttribute("providers", providers);
    return "console/login";
  }

  @GetMapping("/inbox")
  String inbox(Model model) {
    List<ApprovalTask> waiting =
        approvals.list(Optional.of(ApprovalState.WAITING), Optional.empty(), 100);
    List<ApprovalTask> decided =
        approvals.list(Optional.empty(), Optional.empty(), 100).stream()
            .filter(task -> !ApprovalState.WAITING.wire().equals(task.state()))
            .limit(30)
            .toList();
    model.addAttribute("waiting", waiting.stream().map(this::withEvidence).toList());
    model.addAttribute("decided", decided);
    return "console/inbox";
  }

  @PostMapping("/inbox/{id}/decision")
  String decide(
      @PathVariable long id,
      @RequestParam String decision,
      @RequestParam(required = false) String comment,
      Principal principal,
      RedirectAttributes flash) {
    try {
      ApprovalTask task =
          approvals.decide(id, new DecisionRequest(decision, comment), principal.getName());
      flash.addFlashAttribute(
          "notice", "Task " + id + " " + task.state() + " for run " + task.runId() + ".");
    } catch (ApprovalRefusedException e) {
      flash.addFlashAttribute("error", e.title() + ": " + e.getMessage());
    } catch (InvalidInputException e) {
      flash.addFlashAttribute("error", describe(e));
    }
    return "redirect:/inbox";
  }

  @GetMapping("/runs")
  String runList(
      @RequestParam(required = false) String state,
      @RequestParam(required = false) String runbook,
      Model model) {
    Optional<String> stateFilter = Optional.ofNullable(state).filter(s -> !s.isBlank());
    Optional<String> runbookFilter = Optional.ofNullable(runbook).filter(r -> !r.isBlank());
    List<RunView> shown = List.of();
    try {
      shown = runs.recent(stateFilter, runbookFilter, 200);
    } catch (InvalidInputException e) {
      model.addAttribute("error", describe(e));
    }
    model.addAttribute("runs", shown);
    model.addAttribute("states", Arrays.stream(RunState.values()).map(RunState::wire).toList());
    model.addAttribute(
        "runbooks", StreamSupport.stream(deployed.ids().spliterator(), false).toList());
    model.addAttribute("state", stateFilter.orElse(null));
    model.addAttribute("runbook", runbookFilter.orElse(null));
    return "console/runs";
  }

  @GetMapping("/runs/new")
  String newRun(Model model) {
    model.addAttribute("form", new RunForm("platform-upgrade", "", "", false, ""));
    return startForm(model, List.of());
  }

  @PostMapping("/runs")
  String startRun(RunForm form, Principal principal, Model model) {
    Map<String, Object> variables = new LinkedHashMap<>();
    List<FieldError> errors = new ArrayList<>();
    if (form.variables() != null && !form.variables().isBlank()) {
      try {
        Map<String, Object> extra = json.readValue(form.variables(), OBJECT);
        if (extra == null) {
          throw new IllegalArgumentException("null is not an object");
        }
        variables.putAll(extra);
      } catch (Exception e) {
        errors.add(
            new FieldError(
                "variables", "must be a JSON object, e.g. {\"approvalTimeout\": \"P1D\"}"));
      }
    }
    if (form.platform() != null && !form.platform().isBlank()) {
      variables.put("platform", form.platform());
    }
    if (form.targetVersion() != null && !form.targetVersion().isBlank()) {
      variables.put("targetVersion", form.targetVersion().strip());
    }
    if ("platform-upgrade".equals(form.runbook())) {
      variables.put("allowSteppingStones", Boolean.TRUE.equals(form.allowSteppingStones()));
    }
    if (errors.isEmpty()) {
      try {
        RunView run =
            runs.start(new StartRunRequest(form.runbook(), variables), principal.getName());
        return "redirect:/runs/" + run.id();
      } catch (InvalidInputException e) {
        errors.addAll(e.errors());
      } catch (RunConflictException e) {
        model.addAttribute("conflict", e.getMessage());
        model.addAttribute("conflictRun", e.runId());
      }
    }
    model.addAttribute("form", form);
    return startForm(model, errors);
  }

  private String startForm(Model model, List<FieldError> errors) {
    model.addAttribute("errors", errors);
    model.addAttribute(
        "runbookIds", StreamSupport.stream(deployed.ids().spliterator(), false).toList());
    model.addAttribute("platforms", platforms.platforms().keySet().stream().sorted().toList());
    return "console/new-run";
  }

  @GetMapping("/runs/{id}")
  String runPage(@PathVariable String id, Model model) {
    RunPicture picture = records.picture(InputChecks.requireRunId("id", id));
    model.addAttribute("picture", picture);
    model.addAttribute("run", picture.run());
    model.addAttribute("runTitle", "Run " + picture.run().id().substring(0, 8));
    model.addAttribute("markersJson", json.valueToTree(picture.markers()).toString());
    model.addAttribute("approvals", picture.approvals().stream().map(this::withEvidence).toList());
    model.addAttribute("backups", backups.list(Optional.of(id), 20));
    model.addAttribute("ended", !RunState.ACTIVE.wire().equals(picture.run().state()));
    model.addAttribute(
        "inCutover",
        picture.run().steps().stream().anyMatch(s -> RunService.CUTOVER_START.equals(s.jobType())));
    model.addAttribute(
        "canRollBack",
        RunState.INTERRUPTED.wire().equals(picture.run().state()) && runs.canRollBack(id));
    return "console/run";
  }

  /**
   * Resumes an interrupted run where it stopped, or rolls it back ({@code action}); the reason is
   * required and audited.
   */
  @PostMapping({"/runs/{id}/resume", "/runs/{id}/rollback"})
  String resumeOrRollBack(
      @PathVariable String id,
      @RequestParam(required = false) String reason,
      Principal principal,
      jakarta.servlet.http.HttpServletRequest request,
      RedirectAttributes flash) {
    InputChecks.requireRunId("id", id);
    boolean resume = request.getRequestURI().endsWith("/resume");
    try {
      RunView after =
          resume
              ? runs.resume(id, reason, principal.getName())
              : runs.rollback(id, reason, principal.getName());
      flash.addFlashAttribute(
          "notice",
          (resume ? "Run " + id + " resumed: " : "Run " + id + " is rolling back: ")
              + after.outcomeMessage());
    } catch (RunConflictException | RunService.EngineCommandFailedException e) {
      flash.addFlashAttribute("error", e.getMessage());
    } catch (InvalidInputException e) {
      flash.addFlashAttribute("error", describe(e));
    }
    return "redirect:/runs/" + id;
  }

  /**
   * Cancels an active run; the reason is required and audited. Before the cutover the run ends at
   * once; while a hop changes the platform, that hop is rolled back from its next step on.
   */
  @PostMapping("/runs/{id}/cancel")
  String cancelRun(
      @PathVariable String id,
      @RequestParam(required = false) String reason,
      Principal principal,
      RedirectAttributes flash) {
    InputChecks.requireRunId("id", id);
    try {
      RunView after = runs.cancel(id, reason, principal.getName());
      flash.addFlashAttribute(
          "notice",
          RunState.ACTIVE.wire().equals(after.state())
              ? "Cancel recorded: run "
                  + id
                  + " rolls back the hop in progress from its next step, then waits for the review."
              : "Run " + id + " cancelled.");
    } catch (RunConflictException | RunService.EngineCommandFailedException e) {
      flash.addFlashAttribute("error", e.getMessage());
    } catch (InvalidInputException e) {
      flash.addFlashAttribute("error", describe(e));
    }
    return "redirect:/runs/" + id;
  }

  /** Abandons an interrupted run, releasing its platform; the reason is required and audited. */
  @PostMapping("/runs/{id}/abandon")
  String abandonRun(
      @PathVariable String id,
      @RequestParam(required = false) String reason,
      Principal principal,
      RedirectAttributes flash) {
    InputChecks.requireRunId("id", id);
    try {
      runs.abandon(id, reason, principal.getName());
      flash.addFlashAttribute(
          "notice", "Run " + id + " abandoned; its platform is free. See the outcome below.");
    } catch (RunConflictException e) {
      flash.addFlashAttribute("error", e.getMessage());
    } catch (InvalidInputException e) {
      flash.addFlashAttribute("error", describe(e));
    }
    return "redirect:/runs/" + id;
  }

  /** The runbook's BPMN XML, for the diagram viewer on the run page. */
  @GetMapping(value = "/runbooks/{processId}.bpmn", produces = MediaType.APPLICATION_XML_VALUE)
  @ResponseBody
  ResponseEntity<String> runbookXml(@PathVariable String processId) {
    return models
        .find(processId)
        .map(runbook -> ResponseEntity.ok(runbook.xml()))
        .orElse(ResponseEntity.notFound().build());
  }

  @GetMapping("/runs/{id}/record")
  String recordPage(@PathVariable String id, Principal principal, Model model) {
    var record = records.export(InputChecks.requireRunId("id", id), principal.getName());
    model.addAttribute("record", record);
    model.addAttribute("evidence", evidenceMap(record.evidence()));
    return "console/record";
  }

  @GetMapping("/runs/{id}/record.json")
  ResponseEntity<UpgradeRecords.UpgradeRecord> recordJson(
      @PathVariable String id, Principal principal) {
    var record = records.export(InputChecks.requireRunId("id", id), principal.getName());
    return ResponseEntity.ok()
        .header(
            HttpHeaders.CONTENT_DISPOSITION,
            "attachment; filename=\"upgrade-record-" + record.run().id() + ".json\"")
        .contentType(MediaType.APPLICATION_JSON)
        .body(record);
  }

  @GetMapping("/backups")
  String backupList(Model model) {
    model.addAttribute("backups", backups.list(Optional.empty(), 200));
    return "console/backups";
  }

  @GetMapping("/audit")
  String auditLog(Model model) {
    model.addAttribute("events", audit.recent(300));
    return "console/audit";
  }

  /** A task with its evidence as plain maps and lists, which the templates navigate easily. */
  private Map<String, Object> withEvidence(ApprovalTask task) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("task", task);
    view.put("evidence", evidenceMap(task.evidence()));
    // A guided-failure decision lists its choices; an approval has none.
    view.put("choices", ApprovalService.choices(task));
    // Who started the run: that user may not decide its tasks (separation of duties).
    view.put(
        "requestedBy",
        Optional.ofNullable(task.runId()).flatMap(runs::find).map(RunView::requestedBy).orElse(""));
    return view;
  }

  /** Evidence as a map; a model may attach any JSON value, which then shows as {@code value}. */
  private Map<String, Object> evidenceMap(com.fasterxml.jackson.databind.JsonNode evidence) {
    if (evidence == null || evidence.isNull()) {
      return Map.of();
    }
    return evidence.isObject()
        ? json.convertValue(evidence, OBJECT)
        : Map.of("value", json.convertValue(evidence, Object.class));
  }

  /**
   * A console page asked for something that is not there or not yet there (an unknown run, the
   * record of an active run): the error page says which. Other errors keep Spring's generic page,
   * which shows no exception text.
   */
  @ExceptionHandler(InvalidInputException.class)
  ModelAndView badInput(InvalidInputException e) {
    ModelAndView page = new ModelAndView("error", HttpStatus.BAD_REQUEST);
    page.addObject("status", 400);
    page.addObject("error", "Bad Request");
    page.addObject("message", describe(e));
    return page;
  }

  @ExceptionHandler(ResponseStatusException.class)
  ModelAndView refused(ResponseStatusException e) {
    ModelAndView page = new ModelAndView("error", e.getStatusCode());
    page.addObject("status", e.getStatusCode().value());
    page.addObject(
        "error",
        e.getStatusCode() instanceof HttpStatus status ? status.getReasonPhrase() : "Error");
    page.addObject("message", e.getReason());
    return page;
  }

  private static String describe(InvalidInputException e) {
    StringBuilder text = new StringBuilder("Not accepted:");
    for (FieldError error : e.errors()) {
      text.append(' ').append(error.field()).append(' ').append(error.message()).append('.');
    }
    return text.toString();
  }

  /** The start form; {@code variables} is an optional JSON object of further inputs. */
  record RunForm(
      String runbook,
      String platform,
      String targetVersion,
      Boolean allowSteppingStones,
      String variables) {}
}
