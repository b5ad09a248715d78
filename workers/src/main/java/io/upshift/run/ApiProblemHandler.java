package io.upshift.run;

import com.fasterxml.jackson.databind.JsonMappingException;
import java.util.List;
import java.util.stream.Collectors;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Every API error as {@code application/problem+json}; bad input names the field. */
@RestControllerAdvice
class ApiProblemHandler extends ResponseEntityExceptionHandler {

  @ExceptionHandler(InvalidInputException.class)
  ProblemDetail invalidInput(InvalidInputException e) {
    return badRequest(e.getMessage(), e.errors());
  }

  @ExceptionHandler(RunService.EngineRefusedException.class)
  ProblemDetail engineRefused(RunService.EngineRefusedException e) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
    problem.setTitle("Engine unavailable");
    problem.setProperty("runId", e.runId());
    return problem;
  }

  @ExceptionHandler(RunConflictException.class)
  ProblemDetail conflict(RunConflictException e) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
    problem.setTitle(e.title());
    problem.setProperty("runId", e.runId());
    if (e instanceof PlatformBusyException busy) {
      problem.setProperty("platform", busy.platform());
    }
    return problem;
  }

  @ExceptionHandler(RunService.EngineCommandFailedException.class)
  ProblemDetail engineCommandFailed(RunService.EngineCommandFailedException e) {
    ProblemDetail problem =
        ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
    problem.setTitle("Engine unavailable");
    problem.setProperty("runId", e.runId());
    return problem;
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException e,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    String field = "body";
    if (e.getCause() instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
      field =
          mapping.getPath().stream()
              .map(
                  ref ->
                      ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
              .collect(Collectors.joining("."))
              .replace(".[", "[");
    }
    String message = "is not valid JSON of the expected shape";
    return ResponseEntity.badRequest()
        .body(badRequest(field + ": " + message, List.of(new FieldError(field, message))));
  }

  private static ProblemDetail badRequest(String detail, List<FieldError> errors) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, detail);
    problem.setTitle("Invalid input");
    problem.setProperty("errors", errors);
    return problem;
  }
}
