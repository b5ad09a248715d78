package io.upshift.fork;

import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;

/**
 * Runs the fork's install and test commands: argument arrays straight to the OS (no shell, nothing
 * interpolated), in the working copy, output appended to one log kept with the run's evidence, all
 * commands within one timeout. Then reads the results the test command left.
 */
@Component
class TestCommands {

  private static final int TAIL = 1500;

  /** How the commands ended; {@code started} is when the test command began. */
  record Run(int testExit, Instant started) {}

  Run run(Path dir, List<List<String>> install, List<String> test, Duration timeout, Path log)
      throws IOException, InterruptedException {
    Files.writeString(log, "", StandardCharsets.UTF_8);
    long deadline = System.nanoTime() + timeout.toNanos();
    for (List<String> command : install) {
      int exit = exec(dir, command, deadline, timeout, log);
      if (exit != 0) {
        throw new StepFailure(
            "install command " + command + " exited " + exit + " (log " + log + "): " + tail(log));
      }
    }
    Instant started = Instant.now().minusSeconds(2);
    return new Run(exec(dir, test, deadline, timeout, log), started);
  }

  private static int exec(Path dir, List<String> command, long deadline, Duration timeout, Path log)
      throws IOException, InterruptedException {
    Files.writeString(
        log, "$ " + command + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new StepFailure("cannot run " + command + " in " + dir + ": " + e.getMessage(), e);
    }
    long left = deadline - System.nanoTime();
    if (left <= 0 || !process.waitFor(left, TimeUnit.NANOSECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      throw new StepFailure(
          "install and test did not finish within "
              + timeout
              + " ("
              + command
              + " was running; log "
              + log
              + "): "
              + tail(log));
    }
    return process.exitValue();
  }

  /**
   * JUnit XML reports matching {@code globs} written since the test began; else the pytest summary
   * in the log; else only the exit code, which must then be 0.
   */
  TestResults.Outcome results(Path dir, List<String> globs, Run run, Path log) throws IOException {
    List<Path> reports = new ArrayList<>();
    if (!globs.isEmpty()) {
      List<PathMatcher> matchers =
          globs.stream().map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g)).toList();
      try (Stream<Path> files = Files.walk(dir)) {
        files
            .filter(Files::isRegularFile)
            .filter(f -> !dir.relativize(f).startsWith(".git"))
            .filter(f -> matchers.stream().anyMatch(m -> m.matches(dir.relativize(f))))
            .filter(f -> modifiedSince(f, run.started()))
            .sorted()
            .forEach(reports::add);
      }
    }
    if (!reports.isEmpty()) {
      return TestResults.fromJUnit(reports);
    }
    var pytest = TestResults.fromPytest(Files.readString(log, StandardCharsets.UTF_8));
    if (pytest.isPresent()) {
      return pytest.get();
    }
    if (run.testExit() == 0) {
      return new TestResults.Outcome(0, 0, 0, List.of(), "exit-code");
    }
    throw new StepFailure(
        "the test command exited "
            + run.testExit()
            + " and left no JUnit report ("
            + (globs.isEmpty() ? "no testReports in the rules" : String.join(", ", globs))
            + ") and no pytest summary; log "
            + log
            + ": "
            + tail(log));
  }

  private static boolean modifiedSince(Path file, Instant since) {
    try {
      return Files.getLastModifiedTime(file).compareTo(FileTime.from(since)) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  static String tail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() <= TAIL ? text : "..." + text.substring(text.length() - TAIL);
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }
}
