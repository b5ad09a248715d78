package io.upshift.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.run.FieldError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpCheckTest {

  @Test
  void defaultsApplyWhenOnlyUrlIsGiven() {
    List<FieldError> errors = new ArrayList<>();
    HttpCheck check = HttpCheck.parse(Map.of("url", "http://localhost:8080/health"), "", errors);

    assertThat(errors).isEmpty();
    assertThat(check.expectedStatus()).isEqualTo(200);
    assertThat(check.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(check.attempts()).isEqualTo(3);
    assertThat(check.backoff()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void backoffDoublesAndIsCapped() {
    HttpCheck check =
        HttpCheck.parse(
            Map.of("url", "http://h/", "attempts", 10, "backoffSeconds", 10, "timeoutSeconds", 1),
            "",
            new ArrayList<>());

    assertThat(check.backoffBefore(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(check.backoffBefore(3)).isEqualTo(Duration.ofSeconds(20));
    assertThat(check.backoffBefore(5)).isEqualTo(Duration.ofSeconds(60));
    assertThat(check.backoffBefore(9)).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void everyBadFieldIsNamedWithItsPrefix() {
    List<FieldError> errors = new ArrayList<>();
    HttpCheck check =
        HttpCheck.parse(
            Map.of(
                "url",
                "localhost/health",
                "expectedStatus",
                99,
                "bodyContains",
                "",
                "timeoutSeconds",
                1.5,
                "attempts",
                0,
                "backoffSeconds",
                "2"),
            "checks[3].",
            errors);

    assertThat(check).isNull();
    assertThat(errors)
        .extracting(FieldError::field)
        .containsExactly(
            "checks[3].url",
            "checks[3].expectedStatus",
            "checks[3].bodyContains",
            "checks[3].timeoutSeconds",
            "checks[3].attempts",
            "checks[3].backoffSeconds");
  }

  @Test
  void checksThatCouldRunLongerThanTheJobTimeoutAreRefused() {
    List<FieldError> errors = new ArrayList<>();
    HttpCheck.parse(
        Map.of("url", "https://h/", "attempts", 20, "timeoutSeconds", 120, "backoffSeconds", 60),
        "",
        errors);

    assertThat(errors).singleElement().satisfies(e -> assertThat(e.field()).isEqualTo("attempts"));
  }
}
