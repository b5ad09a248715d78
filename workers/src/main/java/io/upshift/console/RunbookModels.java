package io.upshift.console;

import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.BaseElement;
import io.camunda.zeebe.model.bpmn.instance.BoundaryEvent;
import io.camunda.zeebe.model.bpmn.instance.ErrorEventDefinition;
import io.camunda.zeebe.model.bpmn.instance.FlowElement;
import io.camunda.zeebe.model.bpmn.instance.FlowNode;
import io.camunda.zeebe.model.bpmn.instance.Process;
import io.camunda.zeebe.model.bpmn.instance.SequenceFlow;
import io.camunda.zeebe.model.bpmn.instance.SubProcess;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeProperty;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * The runbooks as the console draws them: the BPMN XML the service deployed (from the classpath,
 * the same files the deployer sends to the engine) and what the model says about risk.
 *
 * <p>A modeler marks the point of no return with the extension property {@code
 * upshift.pointOfNoReturn = true} on the first element that changes the platform (Camunda Modeler:
 * Extension properties). The subprocess around it whose error boundary event leads to a rollback is
 * the <em>protected scope</em>: a failure inside it rolls back automatically.
 */
@Component
public class RunbookModels {

  static final String POINT_OF_NO_RETURN = "upshift.pointOfNoReturn";
  private static final String RESOURCES = "classpath*:bpmn/**/*.bpmn";

  private final Map<String, Runbook> byProcessId;

  RunbookModels() {
    this.byProcessId = load();
  }

  Optional<Runbook> find(String processId) {
    return Optional.ofNullable(byProcessId.get(processId));
  }

  /**
   * One runbook.
   *
   * @param pointOfNoReturn the element marked as point of no return, or null if the model has none
   * @param protectedScope elements inside the subprocess whose failure rolls back automatically
   * @param rollbackPath elements reached from that subprocess's error boundary (the rollback)
   * @param names element id to its readable name
   */
  public record Runbook(
      String processId,
      String xml,
      String pointOfNoReturn,
      Set<String> protectedScope,
      Set<String> rollbackPath,
      Map<String, String> names) {

    public String name(String elementId) {
      return names.getOrDefault(elementId, elementId);
    }
  }

  private static Map<String, Runbook> load() {
    Map<String, Runbook> runbooks = new HashMap<>();
    try {
      for (Resource resource : new PathMatchingResourcePatternResolver().getResources(RESOURCES)) {
        byte[] bytes;
        try (InputStream in = resource.getInputStream()) {
          bytes = in.readAllBytes();
        }
        BpmnModelInstance model = Bpmn.readModelFromStream(new ByteArrayInputStream(bytes));
        String xml = new String(bytes, StandardCharsets.UTF_8);
        for (Process process : model.getModelElementsByType(Process.class)) {
          runbooks.put(process.getId(), describe(process.getId(), xml, model));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the runbooks on the classpath", e);
    }
    return Map.copyOf(runbooks);
  }

  static Runbook describe(String processId, String xml, BpmnModelInstance model) {
    Map<String, String> names = new HashMap<>();
    for (FlowElement element : model.getModelElementsByType(FlowElement.class)) {
      if (element.getName() != null) {
        names.put(element.getId(), element.getName());
      }
    }
    String pointOfNoReturn = null;
    for (ZeebeProperty property : model.getModelElementsByType(ZeebeProperty.class)) {
      if (POINT_OF_NO_RETURN.equals(property.getName())
          && "true".equalsIgnoreCase(property.getValue())) {
        // zeebe:property -> zeebe:properties -> extensionElements -> the element
        var owner = property.getParentElement().getParentElement().getParentElement();
        pointOfNoReturn = ((BaseElement) owner).getId();
      }
    }
    Set<String> scope = new LinkedHashSet<>();
    Set<String> rollback = new LinkedHashSet<>();
    if (pointOfNoReturn != null) {
      FlowElement marked = model.getModelElementById(pointOfNoReturn);
      if (marked.getParentElement() instanceof SubProcess subProcess) {
        collect(subProcess, scope);
        // The rollback starts at the boundary that catches the error the point of no return
        // raises when it fails (its upshift.onFailure header); other boundaries of the subprocess
        // (e.g. a failure before the stop) undo nothing.
        String code = failureCode(marked);
        for (BoundaryEvent boundary : model.getModelElementsByType(BoundaryEvent.class)) {
          if (boundary.getAttachedTo() == subProcess && catches(boundary, code)) {
            reachable(boundary, rollback);
          }
        }
      }
    }
    return new Runbook(
        processId,
        xml,
        pointOfNoReturn,
        Set.copyOf(scope),
        Set.copyOf(rollback),
        Map.copyOf(names));
  }

  private static String failureCode(FlowElement element) {
    for (var header :
        element
            .getModelInstance()
            .getModelElementsByType(io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeHeader.class)) {
      var owner = header.getParentElement().getParentElement().getParentElement();
      if (owner == element && io.upshift.run.JobSteps.ON_FAILURE.equals(header.getKey())) {
        return header.getValue();
      }
    }
    return null;
  }

  private static boolean catches(BoundaryEvent boundary, String code) {
    for (ErrorEventDefinition error : boundary.getChildElementsByType(ErrorEventDefinition.class)) {
      if (code == null
          || (error.getError() != null && code.equals(error.getError().getErrorCode()))) {
        return true;
      }
    }
    return false;
  }

  private static void collect(SubProcess subProcess, Set<String> into) {
    into.add(subProcess.getId());
    for (FlowElement element : subProcess.getFlowElements()) {
      into.add(element.getId());
      if (element instanceof SubProcess nested) {
        collect(nested, into);
      }
    }
  }

  private static void reachable(FlowNode start, Set<String> into) {
    Deque<FlowNode> todo = new ArrayDeque<>();
    todo.add(start);
    while (!todo.isEmpty()) {
      FlowNode node = todo.poll();
      if (into.add(node.getId())) {
        if (node instanceof SubProcess nested) {
          collect(nested, into);
        }
        for (SequenceFlow flow : node.getOutgoing()) {
          todo.add(flow.getTarget());
        }
        // A failure of a rollback step (its boundary events) is still on the rollback path.
        for (BoundaryEvent boundary :
            node.getModelInstance().getModelElementsByType(BoundaryEvent.class)) {
          if (boundary.getAttachedTo() == node || into.contains(boundary.getAttachedTo().getId())) {
            todo.add(boundary);
          }
        }
      }
    }
  }
}
