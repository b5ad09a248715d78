package io.upshift.engine;

import io.camunda.client.api.ProblemDetail;
import io.camunda.client.api.command.ClientHttpException;
import io.camunda.client.api.command.ClientStatusException;
import io.camunda.client.api.command.ProblemException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * An engine command that did not happen, with what the engine said in protocol-independent terms: a
 * gRPC status (embedded engine, self-managed gateway) and an HTTP problem detail (the 8.8 client's
 * REST default) mean the same {@link Outcome}.
 */
public class EngineCommandException extends RuntimeException {

  /** What became of the command. */
  public enum Outcome {
    /** The job, instance or task does not exist (any more): gRPC NOT_FOUND, HTTP 404. */
    NOT_FOUND,
    /**
     * The target was already completed or is in a state that does not take the command: gRPC
     * ALREADY_EXISTS / FAILED_PRECONDITION, HTTP 409.
     */
    ALREADY_COMPLETED,
    /**
     * The engine did not answer or is overloaded; trying again later may work: gRPC UNAVAILABLE /
     * DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED / ABORTED / CANCELLED, HTTP 429 / 502 / 503 / 504, a
     * connection failure or a timeout.
     */
    UNAVAILABLE,
    /** The engine refused the command (bad input, not allowed, not authenticated, or unknown). */
    REJECTED
  }

  private final Outcome outcome;

  public EngineCommandException(String command, Outcome outcome, Throwable cause) {
    super(
        command
            + ": "
            + outcome.name().toLowerCase().replace('_', ' ')
            + " ("
            + describe(cause)
            + ")",
        cause);
    this.outcome = outcome;
  }

  public Outcome outcome() {
    return outcome;
  }

  public boolean notFound() {
    return outcome == Outcome.NOT_FOUND;
  }

  /** Wraps what the client threw for {@code command}, classified. */
  public static EngineCommandException of(String command, Throwable failure) {
    if (failure instanceof EngineCommandException already) {
      return already;
    }
    return new EngineCommandException(command, classify(failure), failure);
  }

  /** The outcome of a client failure, from the first cause that tells. */
  public static Outcome classify(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ClientStatusException status) {
        return ofGrpc(status.getStatusCode());
      }
      if (t instanceof StatusRuntimeException status) {
        return ofGrpc(status.getStatus().getCode());
      }
      if (t instanceof ProblemException problem) {
        ProblemDetail detail = problem.details();
        return ofHttp(
            detail != null && detail.getStatus() != null ? detail.getStatus() : problem.code());
      }
      if (t instanceof ClientHttpException http) {
        return ofHttp(http.code());
      }
      if (t instanceof IOException || t instanceof TimeoutException) {
        return Outcome.UNAVAILABLE;
      }
    }
    return Outcome.REJECTED;
  }

  static Outcome ofGrpc(Status.Code code) {
    return switch (code) {
      case NOT_FOUND -> Outcome.NOT_FOUND;
      case ALREADY_EXISTS, FAILED_PRECONDITION -> Outcome.ALREADY_COMPLETED;
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED ->
          Outcome.UNAVAILABLE;
      default -> Outcome.REJECTED;
    };
  }

  static Outcome ofHttp(int status) {
    return switch (status) {
      case 404 -> Outcome.NOT_FOUND;
      case 409 -> Outcome.ALREADY_COMPLETED;
      case 408, 429, 502, 503, 504 -> Outcome.UNAVAILABLE;
      default -> Outcome.REJECTED;
    };
  }

  private static String describe(Throwable cause) {
    if (cause instanceof ProblemException problem && problem.details() != null) {
      ProblemDetail d = problem.details();
      return "HTTP " + problem.code() + " " + d.getTitle() + ": " + d.getDetail();
    }
    if (cause instanceof ClientStatusException status) {
      return "gRPC " + status.getStatusCode() + ": " + status.getStatus().getDescription();
    }
    return cause == null ? "no cause" : String.valueOf(cause.getMessage());
  }
}
