package io.upshift.compose;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the compose CLI with argument arrays (never a shell string): {@code docker compose} when the
 * v2 plugin is there, else {@code docker-compose}. The project directory holds the compose file and
 * its {@code .env}.
 */
public class ComposeCli {

  private static final Logger log = LoggerFactory.getLogger(ComposeCli.class);
  private static final int OUTPUT_LIMIT = 8000;

  private final List<String> command;

  public ComposeCli(List<String> command) {
    this.command = List.copyOf(command);
  }

  /**
   * The compose command of this machine, found once per process: asking costs a {@code
   * docker-compose version} process (0.33 s on a quiet machine, more under load), and before every
   * compose call that sat inside the downtime (the start's {@code up -d}). A machine that could not
   * run compose at all is asked again next time.
   */
  public static ComposeCli detect() {
    ComposeCli found = detected;
    if (found == null) {
      found = probe(ComposeCli::succeeds);
      detected = found;
    }
    return found;
  }

  private static volatile ComposeCli detected;

  /** {@code docker compose} when the v2 plugin works, else {@code docker-compose}. */
  static ComposeCli probe(java.util.function.Predicate<List<String>> works) {
    if (works.test(List.of("docker", "compose", "version"))) {
      return new ComposeCli(List.of("docker", "compose"));
    }
    if (works.test(List.of("docker-compose", "version"))) {
      return new ComposeCli(List.of("docker-compose"));
    }
    throw new IllegalStateException(
        "Neither 'docker compose' nor 'docker-compose' works here; install one (Debian: apt-get"
            + " install docker-compose)");
  }

  public List<String> command() {
    return command;
  }

  /** Runs {@code compose -p project -f file args...} in {@code directory}; fails on exit != 0. */
  public Result run(
      Path directory, String project, String file, Duration timeout, List<String> args) {
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of("-p", project, "-f", file));
    full.addAll(args);
    Result result = exec(full, directory, timeout);
    if (result.exitCode() != 0) {
      throw new ComposeException(
          String.join(" ", full) + " failed (exit " + result.exitCode() + "): " + result.output());
    }
    return result;
  }

  /**
   * Runs {@code compose -p project -f file args...} in {@code directory} and returns its exit code
   * and output whatever they are (a command the caller judges, e.g. a hook); fails only when it
   * cannot run or does not finish within {@code timeout}.
   */
  public Result execute(
      Path directory, String project, String file, Duration timeout, List<String> args) {
    List<String> full = new ArrayList<>(command);
    full.addAll(List.of("-p", project, "-f", file));
    full.addAll(args);
    return exec(full, directory, timeout);
  }

  public record Result(int exitCode, String output) {}

  private static Result exec(List<String> args, Path directory, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    log.debug("Running {} in {}", args, directory);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      // Read concurrently so a chatty command cannot block on a full pipe.
      var output = new java.util.concurrent.CompletableFuture<String>();
      Thread reader =
          new Thread(
              () -> {
                try {
                  output.complete(
                      new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                  output.complete("(output unreadable: " + e.getMessage() + ")");
                }
              },
              "compose-output");
      reader.setDaemon(true);
      reader.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new ComposeException(
            String.join(" ", args) + " did not finish within " + timeout.toSeconds() + " s");
      }
      String text = output.get(10, TimeUnit.SECONDS).strip();
      if (text.length() > OUTPUT_LIMIT) {
        text = "…" + text.substring(text.length() - OUTPUT_LIMIT);
      }
      return new Result(process.exitValue(), text);
    } catch (IOException e) {
      throw new ComposeException("Could not run " + args.get(0) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ComposeException("Interrupted while running " + String.join(" ", args), e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new ComposeException("Could not read the output of " + String.join(" ", args), e);
    }
  }

  private static boolean succeeds(List<String> args) {
    try {
      return exec(args, null, Duration.ofSeconds(20)).exitCode() == 0;
    } catch (ComposeException e) {
      return false;
    }
  }
}
