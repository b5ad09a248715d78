package io.upshift.compose;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ComposeCliTest {

  @Test
  void prefersTheComposePluginThenTheStandaloneCommand() {
    assertThat(ComposeCli.probe(c -> true).command()).containsExactly("docker", "compose");
    assertThat(ComposeCli.probe(c -> c.get(0).equals("docker-compose")).command())
        .containsExactly("docker-compose");
  }

  @Test
  void withoutEitherTheErrorSaysWhatToInstall() {
    assertThatThrownBy(() -> ComposeCli.probe(c -> false))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("apt-get install docker-compose");
  }
}
