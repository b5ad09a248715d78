package io.upshift.approval;

import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.Process;
import io.camunda.zeebe.model.bpmn.instance.UserTask;
import io.camunda.zeebe.model.bpmn.instance.bpmndi.BpmnDiagram;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.camunda.bpm.model.xml.instance.ModelElementInstance;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * The names modelers gave their user tasks ("Approve maintenance window"): a user-task job carries
 * only the element id, so the inbox reads the names from the runbooks Upshift deploys (the same
 * {@code bpmn/} resources). Tasks of models deployed by other tools show their element id.
 */
@Component
class TaskNames {

  private static final String MODELS = "classpath*:bpmn/**/*.bpmn";

  private volatile Map<String, String> names;

  String name(String bpmnProcessId, String elementId) {
    Map<String, String> known = names;
    if (known == null) {
      known = read();
      names = known;
    }
    String name = known.get(bpmnProcessId + "/" + elementId);
    return name == null || name.isBlank() ? elementId : name;
  }

  private static Map<String, String> read() {
    Map<String, String> names = new HashMap<>();
    try {
      for (Resource resource : new PathMatchingResourcePatternResolver().getResources(MODELS)) {
        BpmnModelInstance model;
        try (InputStream in = resource.getInputStream()) {
          model = Bpmn.readModelFromStream(in);
        }
        for (UserTask task : model.getModelElementsByType(UserTask.class)) {
          Process process = processOf(task);
          if (process != null && task.getName() != null) {
            names.put(process.getId() + "/" + task.getId(), task.getName().strip());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the runbooks for their task names", e);
    }
    return Map.copyOf(names);
  }

  private static Process processOf(ModelElementInstance element) {
    for (ModelElementInstance e = element; e != null; e = e.getParentElement()) {
      if (e instanceof Process process) {
        return process;
      }
      if (e instanceof BpmnDiagram) {
        return null;
      }
    }
    return null;
  }
}
