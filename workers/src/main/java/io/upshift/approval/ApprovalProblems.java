package io.upshift.approval;

import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Refused decisions as {@code application/problem+json} (bad input: see ApiProblemHandler). */
@RestControllerAdvice
class ApprovalProblems {

  @ExceptionHandler(ApprovalRefusedException.class)
  ProblemDetail refused(ApprovalRefusedException e) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
    problem.setTitle(e.title());
    return problem;
  }
}
