package io.upshift.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The run states as the API, the OpenAPI document and the end listener see them. */
class RunStateTest {

  @Test
  void theOpenApiSchemaListsEveryState() throws Exception {
    Schema schema = RunView.class.getDeclaredField("state").getAnnotation(Schema.class);
    assertThat(schema).isNotNull();
    assertThat(schema.allowableValues())
        .containsExactlyElementsOf(Arrays.stream(RunState.values()).map(RunState::wire).toList());
  }

  @Test
  void aModelCannotEndARunAsCancelledInterruptedOrAbandoned() {
    assertThat(RunState.outcome("rolled-back")).contains(RunState.ROLLED_BACK);
    assertThat(RunState.outcome("cancelled")).isEmpty();
    assertThat(RunState.outcome("interrupted")).isEmpty();
    assertThat(RunState.outcome("abandoned")).isEmpty();
    assertThat(RunState.outcome("active")).isEmpty();
  }

  @Test
  void abandonedFollowsAnInterruptionSoItIsNoSecondEnd() {
    assertThat(RunState.ABANDONED.ending()).isFalse();
    assertThat(RunState.ACTIVE.ending()).isFalse();
    assertThat(RunState.INTERRUPTED.ending()).isTrue();
    assertThat(RunState.CANCELLED.ending()).isTrue();
  }
}
