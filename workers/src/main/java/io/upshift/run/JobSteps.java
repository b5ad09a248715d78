package io.upshift.run;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.BpmnError;
import io.camunda.client.exception.CamundaError;
import io.upshift.metrics.UpshiftMetrics;
import io.upshift.metrics.UpshiftMetrics.StepOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Wraps one worker invocation: journals the step (start, end, duration, summary), times it per job
 * type and outcome ({@code upshift.step.duration}), and maps the three kinds of failure explicitly:
 *
 * <ul>
 *   <li>{@link BpmnError}: an expected business outcome, caught in the model; rethrown as is;
 *   <li>{@link StepFailure}: hopeless; retries 0, an incident, the message says what to do;
 *   <li>anything else: transient; the job is failed with one retry less and an exponential backoff.
 * </ul>
 *
 * Jobs without a {@code runId} variable (instances started outside Upshift) run unjournaled, but
 * timed.
 */
@Component
public class JobSteps {

  public static final String RUN_ID = "runId";

  /** Task header: the BPMN error code to throw when the step fails for good. */
  public static final String ON_FAILURE = "upshift.onFailure";

  /**
   * Task header: the BPMN error code to throw, instead of running the step, once a cancel was asked
   * for during the cutover: the model then treats the cancel like a failure of this step (e.g.
   * rolls the hop back), at a step boundary, never in the middle of a side effect.
   */
  public static final String ON_CANCEL = "upshift.onCancel";

  /**
   * Task header: {@code true} when a failure that the model catches ({@value #ON_FAILURE}) is still
   * an incident of the run, e.g. a failed rollback that a person must now finish by hand.
   */
  public static final String INCIDENT = "upshift.incident";

  /**
   * Task header: {@code true} when the model lets a person skip this step after it failed (guided
   * failure offers {@code skip} besides retry and abort/roll back).
   */
  public static final String OPTIONAL = "upshift.optional";

  /**
   * The variable an escalated failure carries besides {@code failure}: the failed step's element
   * id, job type, message and whether it is optional, for a guided-failure decision in the model.
   */
  public static final String FAILED_STEP = "failedStep";

  private static final Logger log = LoggerFactory.getLogger(JobSteps.class);
  private static final Duration BASE_BACKOFF = Duration.ofSeconds(5);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final RunJournal journal;
  private final Clock clock;
  private final UpshiftMetrics metrics;
  private final JobHeartbeat heartbeat;
  private final CancelRequests cancels;
  private final RunCheckpoints checkpoints;
  private final ResumePoints resumePoints;
  private final ObjectMapper json;

  /**
   * One lock per job key: a job the engine handed out again (its timeout expired while a worker was
   * still busy) waits for the first delivery to finish instead of running its side effects
   * concurrently; the bodies are idempotent, so the second run finds the work done.
   */
  private final ConcurrentHashMap<Long, ReentrantLock> running = new ConcurrentHashMap<>();

  @Autowired
  JobSteps(
      RunJournal journal,
      Clock clock,
      UpshiftMetrics metrics,
      JobHeartbeat heartbeat,
      CancelRequests cancels,
      RunCheckpoints checkpoints,
      ResumePoints resumePoints,
      ObjectMapper json) {
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
    this.heartbeat = heartbeat;
    this.cancels = cancels;
    this.checkpoints = checkpoints;
    this.resumePoints = resumePoints;
    this.json = json;
  }

  JobSteps(RunJournal journal, Clock clock, UpshiftMetrics metrics) {
    this(journal, clock, metrics, JobHeartbeat.none(), null, null, null, null);
  }

  public <T> T run(ActivatedJob job, Callable<T> body, Function<T, String> summary) {
    ReentrantLock lock = running.computeIfAbsent(job.getKey(), k -> new ReentrantLock());
    lock.lock();
    try (AutoCloseable beat = heartbeat.keepAlive(job)) {
      return runOnce(job, body, summary);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      // Only closing the heartbeat can land here, and it throws nothing.
      throw new IllegalStateException(e);
    } finally {
      lock.unlock();
      if (!lock.hasQueuedThreads()) {
        running.remove(job.getKey(), lock);
      }
    }
  }

  private <T> T runOnce(ActivatedJob job, Callable<T> body, Function<T, String> summary) {
    String runId = job.getVariable(RUN_ID) instanceof String id ? id : null;
    Instant started = clock.instant();
    // The position first: a step the journal shows started has its checkpoint written already.
    keep(runId, job, null, false);
    Long stepId =
        runId == null
            ? null
            : journal.stepStarted(runId, job.getElementId(), job.getType(), job.getKey(), started);
    try {
      String onCancel = job.getCustomHeaders().get(ON_CANCEL);
      if (runId != null && cancels != null && onCancel != null && !onCancel.isBlank()) {
        var cancel = cancels.find(runId);
        if (cancel.isPresent()) {
          String failure = job.getElementId() + ": " + cancel.get().message();
          throw CamundaError.bpmnError(onCancel, failure, Map.of("failure", failure), null);
        }
      }
      T result = body.call();
      end(job, stepId, StepOutcome.COMPLETED, summary.apply(result), started);
      keep(runId, job, result, true);
      return result;
    } catch (BpmnError e) {
      end(job, stepId, StepOutcome.ERROR, e.getErrorCode() + ": " + e.getErrorMessage(), started);
      throw e;
    } catch (StepFailure e) {
      end(job, stepId, StepOutcome.FAILED, e.getMessage(), started);
      escalate(job, runId, e.getMessage(), e);
      if (runId != null) {
        journal.incident(runId, job.getElementId() + ": " + e.getMessage());
      }
      log.warn("{} {} failed without retry: {}", job.getType(), job.getKey(), e.getMessage());
      throw CamundaError.jobError(e.getMessage(), null, 0, Duration.ZERO, e);
    } catch (Exception e) {
      int retriesLeft = Math.max(0, job.getRetries() - 1);
      String message = describe(e);
      end(
          job,
          stepId,
          StepOutcome.FAILED,
          message + " (retries left: " + retriesLeft + ")",
          started);
      if (retriesLeft == 0) {
        escalate(job, runId, message, e);
      }
      if (retriesLeft == 0 && runId != null) {
        journal.incident(runId, job.getElementId() + ": " + message);
      }
      log.warn(
          "{} {} failed, {} retries left: {}", job.getType(), job.getKey(), retriesLeft, message);
      throw CamundaError.jobError(message, null, retriesLeft, backoff(job.getRetries()), e);
    }
  }

  /**
   * A task whose header {@value #ON_FAILURE} names an error code turns a hopeless failure (or its
   * last retry) into that BPMN error, so the model can react, e.g. roll back after the point of no
   * return, instead of stopping at an incident.
   */
  private void escalate(ActivatedJob job, String runId, String message, Exception cause) {
    String code = job.getCustomHeaders().get(ON_FAILURE);
    if (code != null && !code.isBlank()) {
      String failure = job.getElementId() + ": " + message;
      if (runId != null && "true".equals(job.getCustomHeaders().get(INCIDENT))) {
        journal.incident(runId, failure);
      }
      Map<String, Object> failedStep = new LinkedHashMap<>();
      failedStep.put("elementId", job.getElementId());
      failedStep.put("jobType", job.getType());
      failedStep.put("message", message);
      failedStep.put("optional", "true".equals(job.getCustomHeaders().get(OPTIONAL)));
      failedStep.put("failedAt", clock.instant().toString());
      throw CamundaError.bpmnError(
          code, failure, Map.of("failure", failure, FAILED_STEP, failedStep), cause);
    }
  }

  /** The journal's step state is the outcome's tag: completed, error or failed. */
  private void end(
      ActivatedJob job, Long stepId, StepOutcome outcome, String summary, Instant started) {
    Instant ended = clock.instant();
    if (stepId != null) {
      journal.stepEnded(stepId, outcome.tag(), summary, started, ended);
    }
    metrics.stepFinished(job.getType(), outcome, Duration.between(started, ended));
  }

  /**
   * Keeps what a resume after a restart needs ({@link RunCheckpoints}): the step's element when it
   * starts; its inputs and outputs when it completed. Never fails the step: a checkpoint that could
   * not be written leaves the previous one, from which a resume re-runs more (idempotent) steps.
   */
  private void keep(String runId, ActivatedJob job, Object result, boolean completed) {
    if (runId == null || checkpoints == null) {
      return;
    }
    try {
      if (!completed) {
        // A step beside the position (the reminder of a waiting approval) does not replace it.
        if (resumePoints == null
            || resumePoints.isPosition(job.getBpmnProcessId(), job.getElementId())) {
          checkpoints.reached(runId, job.getElementId(), job.getKey());
        }
        return;
      }
      Map<String, Object> outputs =
          result == null
              ? Map.of()
              : json.convertValue(result, new TypeReference<Map<String, Object>>() {});
      checkpoints.completed(runId, job.getKey(), job.getVariablesAsMap(), outputs);
    } catch (RuntimeException e) {
      log.warn(
          "Run {}: checkpoint after {} not written: {}", runId, job.getElementId(), e.getMessage());
    }
  }

  /** 5 s, 10 s, 20 s, ... capped at 5 min; fewer retries left means a longer wait. */
  static Duration backoff(int retriesBefore) {
    int attempt = Math.max(0, 3 - retriesBefore);
    Duration wait = BASE_BACKOFF.multipliedBy(1L << Math.min(attempt, 10));
    return wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait;
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }
}
