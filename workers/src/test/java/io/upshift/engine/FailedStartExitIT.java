package io.upshift.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.upshift.support.UpshiftProcess;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service jar, started as an operator starts it, ends with exit code 1 when its start fails,
 * instead of staying alive with the embedded engine's threads and serving nothing.
 */
class FailedStartExitIT {

  @TempDir Path data;

  @Test
  void aFailedStartEndsTheProcessWithExitCode1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Path log = data.resolve("upshift.log");
      Process process =
          new ProcessBuilder(
                  List.of(
                      UpshiftProcess.java(),
                      "-Xmx512m",
                      "-jar",
                      UpshiftProcess.jar().toString(),
                      "--server.port=0",
                      "--upshift.engine.port=" + taken.getLocalPort(),
                      "--upshift.data-dir=" + data))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      try {
        boolean ended = process.waitFor(3, TimeUnit.MINUTES);
        assertThat(ended).as("the process ended after its failed start; log: %s", log).isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(Files.readString(log))
            .contains("APPLICATION FAILED TO START")
            .contains("port " + taken.getLocalPort());
      } finally {
        process.destroyForcibly();
      }
    }
  }
}
