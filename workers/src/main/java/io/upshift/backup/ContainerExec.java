package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command inside a container (argument array, no shell) and streams its stdout to an output
 * stream: how dumps are taken with the database image's own client, no host client needed.
 */
public final class ContainerExec {

  private static final int STDERR_LIMIT = 4000;

  private ContainerExec() {}

  /** Exit code and (bounded) stderr of a finished command. */
  public record Result(long exitCode, String stderr) {}

  public static Result run(
      DockerClient docker,
      String container,
      List<String> command,
      OutputStream stdout,
      long timeoutMinutes)
      throws InterruptedException {
    return run(docker, container, command, List.of(), stdout, timeoutMinutes);
  }

  /**
   * @param env {@code NAME=value} variables of the command only (e.g. {@code PGPASSWORD}, read from
   *     the platform's .env by reference): they go to Docker's exec API, never into a process
   *     variable or a log line
   */
  public static Result run(
      DockerClient docker,
      String container,
      List<String> command,
      List<String> env,
      OutputStream stdout,
      long timeoutMinutes)
      throws InterruptedException {
    String exec =
        docker
            .execCreateCmd(container)
            .withCmd(command.toArray(String[]::new))
            .withEnv(env)
            .withAttachStdout(true)
            .withAttachStderr(true)
            .exec()
            .getId();
    StringBuilder stderr = new StringBuilder();
    ResultCallback.Adapter<Frame> callback =
        new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Frame frame) {
            if (frame.getStreamType() == StreamType.STDOUT
                || frame.getStreamType() == StreamType.RAW) {
              try {
                stdout.write(frame.getPayload());
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            } else if (stderr.length() < STDERR_LIMIT) {
              stderr.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
            }
          }
        };
    docker.execStartCmd(exec).exec(callback);
    if (!callback.awaitCompletion(timeoutMinutes, TimeUnit.MINUTES)) {
      throw new IllegalStateException(
          String.join(" ", command)
              + " in "
              + container
              + " did not finish within "
              + timeoutMinutes
              + " min");
    }
    Long exit = docker.inspectExecCmd(exec).exec().getExitCodeLong();
    return new Result(exit == null ? -1 : exit, stderr.toString().strip());
  }
}
