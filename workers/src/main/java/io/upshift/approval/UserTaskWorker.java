package io.upshift.approval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.run.JobSteps;
import io.upshift.run.RunCheckpoints;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * {@code io.camunda.zeebe:userTask}: the engine's job for every job-based user task. The worker
 * stores the task in Upshift's approval inbox and leaves the job open ({@code autoComplete =
 * false}); {@link ApprovalService} completes it when someone decides. The job timeout is long (30
 * days) so the engine does not hand the open task out again while people think about it; if it does
 * (a longer wait, an engine restart), the inbox recognises the job key and stores nothing new.
 *
 * <p>Read from the job: the candidate groups and the due date (task headers the engine sets from
 * {@code zeebe:assignmentDefinition} and {@code zeebe:taskSchedule}), and the variables {@code
 * runId}, {@code evidence} (any JSON value the approver should see) and {@code planHash} (the plan
 * the approval is bound to).
 */
@Component
public class UserTaskWorker {

  static final String JOB_TYPE = "io.camunda.zeebe:userTask";
  static final String CANDIDATE_GROUPS_HEADER = "io.camunda.zeebe:candidateGroups";
  static final String DUE_DATE_HEADER = "io.camunda.zeebe:dueDate";
  static final String EVIDENCE = "evidence";
  static final String PLAN_HASH = "planHash";

  /** Evidence is shown to people: a summary, not a data dump (process variables stay small). */
  static final int MAX_EVIDENCE_CHARS = 64 * 1024;

  /** 30 days. */
  private static final long TIMEOUT_MILLIS = 30L * 24 * 60 * 60 * 1000;

  private static final Logger log = LoggerFactory.getLogger(UserTaskWorker.class);

  private final ApprovalService approvals;
  private final TaskNames names;
  private final ObjectMapper json;
  private final RunCheckpoints checkpoints;

  UserTaskWorker(
      ApprovalService approvals, TaskNames names, ObjectMapper json, RunCheckpoints checkpoints) {
    this.approvals = approvals;
    this.names = names;
    this.json = json;
    this.checkpoints = checkpoints;
  }

  @JobWorker(
      type = JOB_TYPE,
      autoComplete = false,
      timeout = TIMEOUT_MILLIS,
      fetchVariables = {JobSteps.RUN_ID, EVIDENCE, PLAN_HASH})
  public void taskCreated(ActivatedJob job) {
    NewTask task = read(job);
    // A run stopped by a restart while this task waits resumes here: the task is asked again.
    checkpoints.reached(task.runId(), job.getElementId(), job.getKey());
    if (approvals.store(task)) {
      log.info(
          "Approval task {} ({}) of run {} waits for {}, due {}",
          task.jobKey(),
          task.name(),
          task.runId(),
          task.candidateGroups(),
          task.dueDate());
    } else {
      log.info("Approval task {} delivered again; already in the inbox", task.jobKey());
    }
  }

  private NewTask read(ActivatedJob job) {
    Map<String, Object> variables = job.getVariablesAsMap();
    Map<String, String> headers = job.getCustomHeaders();
    String evidence = evidenceJson(job, variables.get(EVIDENCE));
    return new NewTask(
        job.getKey(),
        variables.get(JobSteps.RUN_ID) instanceof String runId ? runId : null,
        job.getProcessInstanceKey(),
        job.getBpmnProcessId(),
        job.getElementId(),
        names.name(job.getBpmnProcessId(), job.getElementId()),
        candidateGroups(job, headers.get(CANDIDATE_GROUPS_HEADER)),
        dueDate(job, headers.get(DUE_DATE_HEADER)),
        evidence,
        variables.get(PLAN_HASH) instanceof String hash ? hash : null);
  }

  private String evidenceJson(ActivatedJob job, Object evidence) {
    if (evidence == null) {
      return null;
    }
    String text;
    try {
      text = json.writeValueAsString(evidence);
    } catch (JsonProcessingException e) {
      throw hopeless(job, "its evidence variable cannot be written as JSON: " + e.getMessage());
    }
    if (text.length() > MAX_EVIDENCE_CHARS) {
      throw hopeless(
          job,
          "its evidence variable has "
              + text.length()
              + " characters, at most "
              + MAX_EVIDENCE_CHARS
              + " are allowed; map a summary into evidence instead");
    }
    return text;
  }

  private List<String> candidateGroups(ActivatedJob job, String header) {
    if (header == null || header.isBlank()) {
      return List.of();
    }
    try {
      return json.readValue(header, new TypeReference<List<String>>() {});
    } catch (JsonProcessingException e) {
      throw hopeless(job, "its candidate groups header is not a JSON list: " + header);
    }
  }

  private Instant dueDate(ActivatedJob job, String header) {
    if (header == null || header.isBlank()) {
      return null;
    }
    try {
      // The engine writes e.g. 2026-11-25T00:24:26.495Z[Etc/UTC]; an offset alone parses too.
      return ZonedDateTime.parse(header).toInstant();
    } catch (DateTimeParseException e) {
      throw hopeless(job, "its due date is not an ISO date-time with offset (and zone): " + header);
    }
  }

  /** Retrying will not fix a malformed task: retries 0, an incident naming the element. */
  private static RuntimeException hopeless(ActivatedJob job, String problem) {
    String message =
        "User task "
            + job.getElementId()
            + " of "
            + job.getBpmnProcessId()
            + " cannot enter the approval inbox: "
            + problem
            + ".";
    log.warn(message);
    return CamundaError.jobError(message, null, 0, Duration.ZERO, null);
  }
}
