package io.upshift.run;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code upshift.run.*}: how runs behave.
 *
 * @param failureDecisionTimeout how long a failed step waits for a person's decision (guided
 *     failure) before the model takes the safe choice: abort before the point of no return. Passed
 *     to each run as the variable {@code failureDecisionTimeout} (ISO-8601, e.g. {@code PT4H})
 *     unless the start request sets it. Default 4 hours.
 */
@ConfigurationProperties("upshift.run")
public record RunProperties(Duration failureDecisionTimeout) {

  public static final String FAILURE_DECISION_TIMEOUT = "failureDecisionTimeout";

  public RunProperties {
    failureDecisionTimeout =
        failureDecisionTimeout == null ? Duration.ofHours(4) : failureDecisionTimeout;
    if (failureDecisionTimeout.isNegative() || failureDecisionTimeout.isZero()) {
      throw new IllegalArgumentException(
          "upshift.run.failure-decision-timeout must be a positive duration, e.g. 4h or PT4H; got "
              + failureDecisionTimeout);
    }
  }
}
