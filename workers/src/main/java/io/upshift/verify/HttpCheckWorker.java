package io.upshift.verify;

import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.client.exception.CamundaError;
import io.upshift.run.FieldError;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.verify.http}: one HTTP check, configured by the task's input mappings ({@code
 * url}, {@code expectedStatus}, {@code bodyContains}, {@code timeoutSeconds}, {@code attempts},
 * {@code backoffSeconds}). An unhealthy endpoint throws BPMN error {@value #CHECK_FAILED} with the
 * variable {@code failure} describing what was seen; invalid inputs raise an incident naming the
 * field.
 */
@Component
public class HttpCheckWorker {

  static final String JOB_TYPE = "upshift.verify.http";
  static final String CHECK_FAILED = "HTTP_CHECK_FAILED";

  private final HttpCheckService service;
  private final JobSteps steps;

  HttpCheckWorker(HttpCheckService service, JobSteps steps) {
    this.service = service;
    this.steps = steps;
  }

  /**
   * The job timeout covers the longest check that validation allows ({@link HttpCheck#MAX_TOTAL}).
   */
  @JobWorker(
      type = JOB_TYPE,
      timeout = 15 * 60 * 1000,
      fetchVariables = {
        "url",
        "expectedStatus",
        "bodyContains",
        "timeoutSeconds",
        "attempts",
        "backoffSeconds"
      })
  public Map<String, Object> check(ActivatedJob job) {
    HttpCheckResult result =
        steps.run(job, () -> verify(job.getVariablesAsMap()), HttpCheckResult::summary);
    return Map.of("result", result);
  }

  private HttpCheckResult verify(Map<String, Object> variables) throws InterruptedException {
    List<FieldError> errors = new ArrayList<>();
    HttpCheck check = HttpCheck.parse(variables, "", errors);
    if (check == null) {
      throw new StepFailure(
          "Invalid input mapping for "
              + JOB_TYPE
              + ": "
              + errors.stream()
                  .map(e -> e.field() + " " + e.message())
                  .collect(Collectors.joining("; "))
              + ". Fix the task's input mappings or the run's variables.");
    }
    HttpCheckResult result = service.check(check);
    if (!result.healthy()) {
      String failure = result.summary();
      throw CamundaError.bpmnError(
          CHECK_FAILED, failure, Map.of("failure", failure, "result", result));
    }
    return result;
  }
}
