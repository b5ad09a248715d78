package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.camunda.client.annotation.JobWorker;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.instance.UserTask;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeExecutionListener;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeTaskDefinition;
import io.camunda.zeebe.model.bpmn.instance.zeebe.ZeebeUserTask;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.stereotype.Component;

/**
 * The job types are a public contract: every type a runbook uses has exactly one worker, every
 * worker type is named {@code upshift.<capability>.<action>} and documented in docs/job-types.md.
 * The one exception is the engine's own type for job-based user tasks, {@value #USER_TASK}, served
 * by the approval inbox: a runbook uses it with every {@code bpmn:userTask} (without {@code
 * zeebe:userTask}, which would make it a Camunda user task the embedded engine cannot complete).
 */
class JobTypesContractTest {

  private static final Pattern TYPE = Pattern.compile("upshift\\.[a-z]+\\.[a-z][a-z-]*");
  private static final Path DOC = Path.of("../docs/job-types.md");
  static final String USER_TASK = "io.camunda.zeebe:userTask";

  @Test
  void everyJobTypeInTheRunbooksHasAWorker() throws IOException {
    Map<String, Set<String>> usedBy = jobTypesInRunbooks();
    Map<String, String> workers = workers();

    assertThat(usedBy).isNotEmpty();
    for (var use : usedBy.entrySet()) {
      assertThat(workers)
          .as("job type %s used in %s has no @JobWorker", use.getKey(), use.getValue())
          .containsKey(use.getKey());
    }
  }

  @Test
  void everyWorkerIsNamedByConventionAndDocumented() throws IOException {
    String doc = Files.readString(DOC);
    Set<String> documented = new TreeSet<>();
    Matcher m = Pattern.compile("`(upshift\\.[a-z.-]+|" + USER_TASK + ")`").matcher(doc);
    while (m.find()) {
      documented.add(m.group(1));
    }
    for (var worker : workers().entrySet()) {
      if (!worker.getKey().equals(USER_TASK)) {
        assertThat(worker.getKey()).as("job type of " + worker.getValue()).matches(TYPE);
      }
      assertThat(documented)
          .as("%s (%s) must be documented in %s", worker.getKey(), worker.getValue(), DOC)
          .contains(worker.getKey());
    }
  }

  static Map<String, Set<String>> jobTypesInRunbooks() throws IOException {
    Map<String, Set<String>> usedBy = new TreeMap<>();
    for (Resource resource :
        new PathMatchingResourcePatternResolver().getResources("classpath*:bpmn/**/*.bpmn")) {
      BpmnModelInstance model;
      try (InputStream in = resource.getInputStream()) {
        model = Bpmn.readModelFromStream(in);
      }
      for (ZeebeTaskDefinition task : model.getModelElementsByType(ZeebeTaskDefinition.class)) {
        usedBy.computeIfAbsent(task.getType(), k -> new TreeSet<>()).add(resource.getFilename());
      }
      for (ZeebeExecutionListener l : model.getModelElementsByType(ZeebeExecutionListener.class)) {
        usedBy.computeIfAbsent(l.getType(), k -> new TreeSet<>()).add(resource.getFilename());
      }
      for (UserTask task : model.getModelElementsByType(UserTask.class)) {
        assertThat(task.getSingleExtensionElement(ZeebeUserTask.class))
            .as(
                "%s in %s is a Camunda user task (zeebe:userTask), which the embedded engine"
                    + " cannot complete; model it as a job-based user task",
                task.getId(), resource.getFilename())
            .isNull();
        usedBy.computeIfAbsent(USER_TASK, k -> new TreeSet<>()).add(resource.getFilename());
      }
    }
    return usedBy;
  }

  /** Job type -> Class.method of every @JobWorker in the service; fails on a duplicate type. */
  static Map<String, String> workers() {
    var scanner = new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(Component.class));
    Map<String, String> workers = new HashMap<>();
    for (BeanDefinition bean : scanner.findCandidateComponents("io.upshift")) {
      Class<?> type;
      try {
        type = Class.forName(bean.getBeanClassName());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
      for (Method method : type.getDeclaredMethods()) {
        JobWorker worker = method.getAnnotation(JobWorker.class);
        if (worker != null) {
          String where = type.getSimpleName() + "." + method.getName();
          String previous = workers.put(worker.type(), where);
          assertThat(previous).as("two workers for " + worker.type()).isNull();
        }
      }
    }
    return workers;
  }
}
