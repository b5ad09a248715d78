package io.upshift.engine;

import io.camunda.client.CamundaClient;
import io.camunda.client.api.CamundaFuture;
import io.camunda.client.api.command.DeployResourceCommandStep1.DeployResourceCommandStep2;
import io.camunda.client.api.response.DeploymentEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * {@link EngineCommands} over the Camunda client, in whichever protocol it is configured for. Every
 * call waits at most the client's request timeout ({@code camunda.client.request-timeout}).
 */
@Component
class CamundaEngineCommands implements EngineCommands {

  private final CamundaClient client;

  CamundaEngineCommands(CamundaClient client) {
    this.client = client;
  }

  @Override
  public long startInstance(String processId, Map<String, Object> variables) {
    return call(
            "start " + processId,
            () ->
                client
                    .newCreateInstanceCommand()
                    .bpmnProcessId(processId)
                    .latestVersion()
                    .variables(variables)
                    .send())
        .getProcessInstanceKey();
  }

  @Override
  public long startInstanceBefore(
      String processId, String elementId, Map<String, Object> variables) {
    return call(
            "start " + processId + " before " + elementId,
            () ->
                client
                    .newCreateInstanceCommand()
                    .bpmnProcessId(processId)
                    .latestVersion()
                    .variables(variables)
                    .startBeforeElement(elementId)
                    .send())
        .getProcessInstanceKey();
  }

  @Override
  public void cancelInstance(long processInstanceKey) {
    call(
        "cancel instance " + processInstanceKey,
        () -> client.newCancelInstanceCommand(processInstanceKey).send());
  }

  @Override
  public void completeJob(long jobKey, Object variables) {
    call(
        "complete job " + jobKey,
        () ->
            variables == null
                ? client.newCompleteCommand(jobKey).send()
                : client.newCompleteCommand(jobKey).variables(variables).send());
  }

  @Override
  public void failJob(long jobKey, int retries, Duration backoff, String message) {
    call(
        "fail job " + jobKey,
        () ->
            client
                .newFailCommand(jobKey)
                .retries(retries)
                .retryBackoff(backoff == null ? Duration.ZERO : backoff)
                .errorMessage(message)
                .send());
  }

  @Override
  public void throwError(long jobKey, String code, String message, Object variables) {
    call(
        "throw error " + code + " from job " + jobKey,
        () -> {
          var command = client.newThrowErrorCommand(jobKey).errorCode(code).errorMessage(message);
          return (variables == null ? command : command.variables(variables)).send();
        });
  }

  @Override
  public void extendJobTimeout(long jobKey, Duration timeout) {
    call(
        "extend the timeout of job " + jobKey,
        () -> client.newUpdateTimeoutCommand(jobKey).timeout(timeout).send());
  }

  @Override
  public void publishMessage(
      String name, String correlationKey, Map<String, Object> variables, Duration timeToLive) {
    call(
        "publish message " + name + " (" + correlationKey + ")",
        () -> {
          var command =
              client
                  .newPublishMessageCommand()
                  .messageName(name)
                  .correlationKey(correlationKey)
                  .timeToLive(timeToLive);
          return (variables == null ? command : command.variables(variables)).send();
        });
  }

  @Override
  public List<DeployedProcess> deploy(Map<String, byte[]> resources) {
    if (resources.isEmpty()) {
      throw new IllegalArgumentException("resources: nothing to deploy");
    }
    DeploymentEvent deployment =
        call(
            "deploy " + resources.keySet(),
            () -> {
              DeployResourceCommandStep2 step = null;
              for (Map.Entry<String, byte[]> resource : resources.entrySet()) {
                step =
                    step == null
                        ? client
                            .newDeployResourceCommand()
                            .addResourceBytes(resource.getValue(), resource.getKey())
                        : step.addResourceBytes(resource.getValue(), resource.getKey());
              }
              return step.send();
            });
    return deployment.getProcesses().stream()
        .map(
            p ->
                new DeployedProcess(
                    p.getBpmnProcessId(),
                    p.getVersion(),
                    p.getResourceName(),
                    p.getProcessDefinitionKey()))
        .toList();
  }

  private static <T> T call(String command, Supplier<CamundaFuture<T>> send) {
    try {
      return send.get().join();
    } catch (RuntimeException e) {
      throw EngineCommandException.of(command, e);
    }
  }
}
