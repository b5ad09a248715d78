package io.upshift.engine;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every command Upshift itself sends to the engine, in one place, whatever protocol the client
 * speaks: the embedded engine and a self-managed gateway over gRPC, the 8.8 client's default REST
 * against a cluster. Each method either does what it says or throws an {@link
 * EngineCommandException} whose {@link EngineCommandException.Outcome} says, for both protocols
 * alike, whether the target was not found, was already completed, the engine was unavailable, or it
 * refused the command. (Jobs that a {@code @JobWorker} method completes by returning are answered
 * by the Camunda starter itself.)
 */
public interface EngineCommands {

  /** Starts the latest deployed version of {@code processId}; returns the instance key. */
  long startInstance(String processId, Map<String, Object> variables);

  /**
   * Starts the latest deployed version of {@code processId} before the element {@code elementId} (a
   * start instruction), e.g. to resume an interrupted run at its step; returns the instance key.
   */
  long startInstanceBefore(String processId, String elementId, Map<String, Object> variables);

  /** Cancels a process instance. */
  void cancelInstance(long processInstanceKey);

  /** Completes a job (a service task, or a job-based user task such as an approval). */
  void completeJob(long jobKey, Object variables);

  /** Fails a job: {@code retries} left, the next attempt after {@code backoff}. */
  void failJob(long jobKey, int retries, Duration backoff, String message);

  /** Throws a BPMN error from a job; {@code variables} may be null. */
  void throwError(long jobKey, String code, String message, Object variables);

  /** Sets the job's deadline {@code timeout} from now (a long step keeping its job). */
  void extendJobTimeout(long jobKey, Duration timeout);

  /** Publishes a message, kept for {@code timeToLive} until an instance correlates it. */
  void publishMessage(
      String name, String correlationKey, Map<String, Object> variables, Duration timeToLive);

  /** Deploys the resources (file name to content) in one deployment. */
  List<DeployedProcess> deploy(Map<String, byte[]> resources);

  /** A process the engine made of a deployment. */
  record DeployedProcess(
      String processId, int version, String resourceName, long processDefinitionKey) {}
}
