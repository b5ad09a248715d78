package io.upshift.run;

import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.Activity;
import io.camunda.zeebe.model.bpmn.instance.BoundaryEvent;
import io.camunda.zeebe.model.bpmn.instance.FlowElement;
import io.camunda.zeebe.model.bpmn.instance.FlowNode;
import io.camunda.zeebe.model.bpmn.instance.MultiInstanceLoopCharacteristics;
import io.camunda.zeebe.model.bpmn.instance.Process;
import io.camunda.zeebe.model.bpmn.instance.ServiceTask;
import io.camunda.zeebe.model.bpmn.instance.StartEvent;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeLoopCharacteristics;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeTaskDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.camunda.bpm.model.xml.instance.ModelElementInstance;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * Where a new engine instance of a run starts after a restart, read from the runbooks Upshift
 * deploys (the same {@code bpmn/} resources).
 *
 * <p>The engine starts a new instance before any element (start instructions), except inside a
 * multi-instance subprocess. A step inside one (a step of the cutover, which runs once per hop) is
 * therefore resumed by starting the multi-instance subprocess again over the items from the
 * interrupted one on: the interrupted hop runs again from its first step. Its steps are idempotent
 * per run and hop (the cutover log keeps the first record of each side effect), so the steps it had
 * done find their work done; the hops before it are not run again.
 */
@Component
class ResumePoints {

  /** Job type of the rollback's first step: where an operator's roll back starts. */
  static final String ROLLBACK_ENTRY = "upshift.rollback.plan";

  private static final String MODELS = "classpath*:bpmn/**/*.bpmn";
  private static final Pattern VARIABLE = Pattern.compile("=\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*");

  private volatile Map<String, BpmnModelInstance> models;

  /**
   * Where a resume starts and with which variables.
   *
   * @param elementId the element to start before; null starts the instance at its start event
   * @param variables the variables of the new instance
   * @param note what the operator should know (e.g. the hop runs again from its first step)
   */
  record Start(String elementId, Map<String, Object> variables, String note) {}

  /** Why a run cannot continue at its kept position. */
  static final class NotResumable extends RuntimeException {
    NotResumable(String message) {
      super(message);
    }
  }

  /**
   * The start of a new instance of {@code runbook} that continues at {@code elementId} with {@code
   * kept} variables.
   *
   * @throws NotResumable when the runbook or element is not deployed any more, or the element sits
   *     in a multi-instance subprocess whose current item cannot be told from the variables
   */
  Start resumeAt(String runbook, String elementId, Map<String, Object> kept) {
    Map<String, Object> variables = new LinkedHashMap<>(kept);
    variables.remove(RunCheckpoints.LOOP_COUNTER);
    if (elementId == null) {
      return new Start(null, variables, "from its start: no step had started");
    }
    FlowElement element = element(runbook, elementId);
    Activity outer = null;
    for (ModelElementInstance e = element; e != null; e = e.getParentElement()) {
      if (e instanceof Activity activity
          && activity.getLoopCharacteristics() instanceof MultiInstanceLoopCharacteristics) {
        outer = activity;
      }
    }
    if (outer == null) {
      return new Start(elementId, variables, "at " + describe(element));
    }
    MultiInstanceLoopCharacteristics loop =
        (MultiInstanceLoopCharacteristics) outer.getLoopCharacteristics();
    ZeebeLoopCharacteristics items = loop.getSingleExtensionElement(ZeebeLoopCharacteristics.class);
    var collection =
        items == null || items.getInputCollection() == null
            ? null
            : VARIABLE.matcher(items.getInputCollection());
    String itemName = items == null ? null : items.getInputElement();
    if (collection == null || !collection.matches() || itemName == null) {
      throw new NotResumable(
          describe(element)
              + " is inside the multi-instance "
              + describe(outer)
              + " whose items are not a plain variable: the run cannot be resumed there");
    }
    String listName = collection.group(1);
    Object list = variables.get(listName);
    Object current = variables.get(itemName);
    int index = list instanceof List<?> all && current != null ? all.indexOf(current) : -1;
    if (index < 0) {
      throw new NotResumable(
          "The kept variables do not say which item of "
              + listName
              + " "
              + describe(outer)
              + " was at ("
              + itemName
              + "): the run cannot be resumed there");
    }
    List<?> all = (List<?>) list;
    variables.put(listName, new ArrayList<>(all.subList(index, all.size())));
    return new Start(
        outer.getId(),
        variables,
        "at "
            + describe(outer)
            + " for "
            + itemName
            + " "
            + current
            + " ("
            + (index + 1)
            + " of "
            + all.size()
            + "), which runs again from its first step to "
            + describe(element)
            + " and on; its steps that had completed find their work done");
  }

  /**
   * Whether a run at {@code elementId} is at a position it can be resumed from: false for a step
   * that only a non-interrupting boundary event leads to (e.g. the reminder while an approval
   * waits), which runs beside the run's position and must not replace it. True for an element this
   * class does not know: {@link #resumeAt} reports that when it matters.
   */
  boolean isPosition(String runbook, String elementId) {
    if (runbook == null || elementId == null) {
      return true;
    }
    BpmnModelInstance model;
    try {
      model = model(runbook);
    } catch (NotResumable e) {
      return true;
    }
    if (!(model.getModelElementById(elementId) instanceof FlowNode node)) {
      return true;
    }
    Deque<FlowNode> open = new ArrayDeque<>(List.of(node));
    Set<String> seen = new HashSet<>();
    boolean sideBranch = false;
    while (!open.isEmpty()) {
      FlowNode current = open.pop();
      if (!seen.add(current.getId())) {
        continue;
      }
      if (current instanceof StartEvent) {
        return true;
      }
      if (current instanceof BoundaryEvent boundary) {
        if (boundary.cancelActivity()) {
          open.push(boundary.getAttachedTo());
        } else {
          sideBranch = true;
        }
        continue;
      }
      current.getIncoming().forEach(flow -> open.push(flow.getSource()));
    }
    // Nothing leads to it but a non-interrupting event: a side branch. No way in at all: unknown.
    return !sideBranch;
  }

  /** The first step of the runbook's rollback path (job type {@value #ROLLBACK_ENTRY}). */
  Optional<String> rollbackEntry(String runbook) {
    BpmnModelInstance model = model(runbook);
    return model.getModelElementsByType(ServiceTask.class).stream()
        .filter(
            task -> {
              ZeebeTaskDefinition definition =
                  task.getSingleExtensionElement(ZeebeTaskDefinition.class);
              return definition != null && ROLLBACK_ENTRY.equals(definition.getType());
            })
        .filter(task -> processOf(task).map(p -> p.getId().equals(runbook)).orElse(false))
        .map(ServiceTask::getId)
        .findFirst();
  }

  private FlowElement element(String runbook, String elementId) {
    if (!(model(runbook).getModelElementById(elementId) instanceof FlowElement element)) {
      throw new NotResumable(
          "Runbook " + runbook + " has no element " + elementId + " any more (the model changed)");
    }
    return element;
  }

  private BpmnModelInstance model(String runbook) {
    Map<String, BpmnModelInstance> known = models;
    if (known == null) {
      known = read();
      models = known;
    }
    BpmnModelInstance model = known.get(runbook);
    if (model == null) {
      throw new NotResumable("Runbook " + runbook + " is not among the deployed models");
    }
    return model;
  }

  private static String describe(FlowElement element) {
    return element.getName() == null
        ? element.getId()
        : element.getId() + " (\"" + element.getName().strip() + "\")";
  }

  private static Optional<Process> processOf(ModelElementInstance element) {
    for (ModelElementInstance e = element; e != null; e = e.getParentElement()) {
      if (e instanceof Process process) {
        return Optional.of(process);
      }
    }
    return Optional.empty();
  }

  private static Map<String, BpmnModelInstance> read() {
    Map<String, BpmnModelInstance> byProcess = new HashMap<>();
    try {
      for (Resource resource : new PathMatchingResourcePatternResolver().getResources(MODELS)) {
        BpmnModelInstance model;
        try (InputStream in = resource.getInputStream()) {
          model = Bpmn.readModelFromStream(in);
        }
        for (Process process : model.getModelElementsByType(Process.class)) {
          byProcess.put(process.getId(), model);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the runbooks for their resume points", e);
    }
    return Map.copyOf(byProcess);
  }
}
