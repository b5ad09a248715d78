package io.upshift.bpmn;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.response.DeploymentEvent;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.BaseElement;
import io.camunda.zeebe.model.bpmn.instance.Definitions;
import io.camunda.zeebe.model.bpmn.instance.FlowElement;
import io.camunda.zeebe.model.bpmn.instance.FlowNode;
import io.camunda.zeebe.model.bpmn.instance.Process;
import io.camunda.zeebe.model.bpmn.instance.SequenceFlow;
import io.camunda.zeebe.model.bpmn.instance.bpmndi.BpmnEdge;
import io.camunda.zeebe.model.bpmn.instance.bpmndi.BpmnShape;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every runbook must open in Camunda Modeler and deploy to Zeebe: parsed and schema-validated,
 * targeting Camunda Cloud 8.8, every element named and drawn, and accepted by the real engine
 * (whose deployment validation is the design-time check). Failures name the file and the element.
 */
class RunbookModelsTest {

  static final Path MODELS = Path.of("src/main/resources/bpmn");
  static TestEngine testEngine;
  static ZeebeTestEngine engine;
  static CamundaClient client;

  @BeforeAll
  static void startEngine() {
    testEngine = TestEngine.start();
    engine = testEngine.engine();
    client = testEngine.client();
  }

  @AfterAll
  static void stopEngine() {
    testEngine.close();
  }

  @TestFactory
  Stream<DynamicTest> everyRunbook() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(MODELS)) {
      files = list.filter(p -> p.toString().endsWith(".bpmn")).sorted().toList();
    }
    assertThat(files).as("runbooks in " + MODELS).isNotEmpty();
    return files.stream()
        .map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> check(file)));
  }

  private void check(Path file) throws IOException {
    String name = file.getFileName().toString();
    BpmnModelInstance model;
    try (InputStream in = Files.newInputStream(file)) {
      model = Bpmn.readModelFromStream(in);
    }
    Bpmn.validateModel(model);

    Definitions definitions = model.getDefinitions();
    assertThat(
            definitions.getAttributeValueNs(
                "http://camunda.org/schema/modeler/1.0", "executionPlatform"))
        .as(name + ": modeler:executionPlatform")
        .isEqualTo("Camunda Cloud");
    assertThat(
            definitions.getAttributeValueNs(
                "http://camunda.org/schema/modeler/1.0", "executionPlatformVersion"))
        .as(name + ": modeler:executionPlatformVersion")
        .startsWith("8.8");

    List<String> problems = new ArrayList<>();
    Set<String> drawn =
        Stream.concat(
                model.getModelElementsByType(BpmnShape.class).stream().map(s -> s.getBpmnElement()),
                model.getModelElementsByType(BpmnEdge.class).stream().map(e -> e.getBpmnElement()))
            .filter(e -> e != null)
            .map(BaseElement::getId)
            .collect(Collectors.toSet());
    for (Process process : model.getModelElementsByType(Process.class)) {
      if (process.getName() == null || process.getName().isBlank()) {
        problems.add("process " + process.getId() + " has no name");
      }
    }
    for (FlowElement element : model.getModelElementsByType(FlowElement.class)) {
      if (element instanceof FlowNode
          && (element.getName() == null || element.getName().isBlank())) {
        problems.add(
            element.getElementType().getTypeName() + " " + element.getId() + " has no name");
      }
      boolean drawable = element instanceof FlowNode || element instanceof SequenceFlow;
      if (drawable && !drawn.contains(element.getId())) {
        problems.add(
            element.getElementType().getTypeName()
                + " "
                + element.getId()
                + " is not in the diagram");
      }
    }
    assertThat(problems).as(name + ": modelling problems").isEmpty();

    DeploymentEvent deployment;
    try {
      deployment = client.newDeployResourceCommand().addResourceFile(file.toString()).send().join();
    } catch (RuntimeException e) {
      throw new AssertionError(name + " was rejected by the engine: " + e.getMessage(), e);
    }
    assertThat(deployment.getProcesses()).as(name + ": deployed processes").isNotEmpty();
  }
}
