package io.upshift.fork;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.run.FieldError;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForkInputValidatorTest {

  final ForkInputValidator validator = new ForkInputValidator();

  @Test
  void acceptsAWorkingCopyOrAUrl() {
    assertThat(
            validator.validate(
                Map.of(
                    "repository", "/srv/forks/skypilot",
                    "releaseBranch", "ojin-release",
                    "upstreamRemote", "upstream",
                    "targetTag", "v0.10.5")))
        .isEmpty();
    assertThat(
            validator.validate(
                Map.of(
                    "repository", "https://git.example.com/ops/skypilot.git",
                    "releaseBranch", "ojin-release",
                    "upstreamRemote", "https://github.com/skypilot-org/skypilot.git",
                    "targetTag", "v0.10.5",
                    "rulesFile", "fork/upgrade-rules.yaml",
                    "keepUpgradeBranch", true)))
        .isEmpty();
  }

  @Test
  void namesEveryBadField() {
    assertThat(
            validator.validate(
                Map.of(
                    "repository", "https://bot:s3cret@git.example.com/ops/skypilot.git",
                    "releaseBranch", "bad..branch",
                    "targetTag", "v1 final",
                    "rulesFile", "../../etc/passwd",
                    "keepUpgradeBranch", "yes")))
        .extracting(FieldError::field)
        .containsExactlyInAnyOrder(
            "keepUpgradeBranch",
            "repository",
            "releaseBranch",
            "upstreamRemote",
            "targetTag",
            "rulesFile");
    assertThat(validator.validate(Map.of()))
        .extracting(FieldError::field)
        .containsExactlyInAnyOrder("repository", "releaseBranch", "upstreamRemote", "targetTag");
  }
}
