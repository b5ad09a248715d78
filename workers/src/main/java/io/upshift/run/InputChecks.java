package io.upshift.run;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The checks every door (API, console) applies to the same inputs, with the same messages: run ids
 * are UUIDs, list limits are 1 to 500.
 */
public final class InputChecks {

  public static final int MAX_LIMIT = 500;

  private InputChecks() {}

  /** The error for {@code field} if {@code value} is not a run id. */
  public static Optional<FieldError> runIdError(String field, String value) {
    try {
      UUID.fromString(value);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(new FieldError(field, "must be a run id (a UUID)"));
    }
  }

  /** The error for {@code limit} if it is outside 1 to {@value #MAX_LIMIT}. */
  public static Optional<FieldError> limitError(int limit) {
    return limit < 1 || limit > MAX_LIMIT
        ? Optional.of(new FieldError("limit", "must be between 1 and " + MAX_LIMIT))
        : Optional.empty();
  }

  /** {@code value} when it is a run id; otherwise an {@link InvalidInputException} naming field. */
  public static String requireRunId(String field, String value) {
    runIdError(field, value).ifPresent(e -> fail(e));
    return value;
  }

  /** {@code limit} when it is allowed; otherwise an {@link InvalidInputException}. */
  public static int requireLimit(int limit) {
    limitError(limit).ifPresent(e -> fail(e));
    return limit;
  }

  private static void fail(FieldError error) {
    throw new InvalidInputException(List.of(error));
  }
}
