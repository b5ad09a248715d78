package io.upshift.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogScanTest {

  @Test
  void errorLinesAreShownButNeverFailTheVerification() {
    Map<String, String> logs = new LinkedHashMap<>();
    // What the demo's backend logs when a probe hangs up before its answer (seen under load).
    logs.put(
        "backend",
        """
        2026-12-02 07:27:48,690 INFO [http] GET /health 200
        2026-12-02 07:27:48,700 ERROR [http] request GET /health failed
        Traceback (most recent call last):
        BrokenPipeError: [Errno 32] Broken pipe
        """);
    logs.put("worker", "2026-12-02 07:27:49,001 INFO processed 3 items\n");

    List<PlatformVerification.Result> results = PlatformVerification.logScan(logs);

    assertThat(results).allMatch(PlatformVerification.Result::passed);
    assertThat(results.get(0).advisory()).isTrue();
    assertThat(results.get(0).line())
        .startsWith("warning log backend: 2 error line(s), for a person to read (not a failure): ")
        .contains("ERROR [http] request GET /health failed | Traceback");
    assertThat(results.get(1).line()).isEqualTo("ok log worker: no errors");
  }

  @Test
  void aFailedCheckReadsFailed() {
    assertThat(new PlatformVerification.Result("smoke create-item", false, "HTTP 500").line())
        .isEqualTo("FAILED smoke create-item: HTTP 500");
  }
}
