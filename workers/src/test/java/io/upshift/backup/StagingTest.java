package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.platform.EnvFile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StagingTest {

  private final EnvFile env = new EnvFile(Map.of("API_PORT", "18080", "CHECK", "probe"));

  @Test
  void publishedPortsMapHostPortsToContainerPortsInBothSyntaxes() {
    assertThat(
            Staging.publishedPorts(
                List.of(
                    "127.0.0.1:${API_PORT}:8080",
                    "9000:9001/tcp",
                    "7000",
                    "8000-8001:8000-8001",
                    Map.of("target", 5000, "published", "5001")),
                env))
        .containsExactlyInAnyOrderEntriesOf(Map.of(18080, "8080", 9000, "9001", 5001, "5000"));
    assertThat(Staging.publishedPorts(null, env)).isEmpty();
  }

  @Test
  void composeHealthcheckBecomesDockersWithDurationsInNanoseconds() {
    var check =
        Staging.healthCheck(
            Map.of(
                "test",
                List.of("CMD", "demo-app", "${CHECK}"),
                "interval",
                "2s",
                "timeout",
                "1m30s",
                "retries",
                15,
                "start_period",
                "500ms"),
            env);
    assertThat(check.getTest()).containsExactly("CMD", "demo-app", "probe");
    assertThat(check.getInterval()).isEqualTo(2_000_000_000L);
    assertThat(check.getTimeout()).isEqualTo(90_000_000_000L);
    assertThat(check.getRetries()).isEqualTo(15);
    assertThat(check.getStartPeriod()).isEqualTo(500_000_000L);
    assertThat(Staging.healthCheck(Map.of("test", "curl -f http://x"), env).getTest())
        .containsExactly("CMD-SHELL", "curl -f http://x");
    assertThat(Staging.healthCheck(Map.of("disable", true), env)).isNull();
    assertThat(Staging.healthCheck(null, env)).isNull();
  }

  @Test
  void projectNamesAreValidComposeProjectNames() {
    assertThat(Staging.project("3F2a-9", "1.1.1-fail-smoke"))
        .isEqualTo("upshift-staging-3f2a-9-1-1-1-fail-smoke");
  }
}
