package io.upshift.platform;

import io.upshift.compose.ComposeCli;
import io.upshift.compose.ComposeException;
import io.upshift.compose.ComposeServices;
import io.upshift.compose.DockerClients;
import io.upshift.run.StepFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Service;

/**
 * Runs the installed release's {@code hooks} at a point of the cutover ({@code beforeMigrations},
 * {@code afterMigrations}, {@code afterStart}): each an argument array, {@code {previousVersion}}
 * and {@code {version}} filled in, in its service's running container ({@code compose exec}) or,
 * when the service is stopped at that point, in a one-off container of its (target) image on the
 * platform's network ({@code compose run --rm --no-deps}). A hook that exits non-zero or outlives
 * its timeout fails the step; the cutover's steps turn that into the hop's rollback. A redelivered
 * job runs the hooks again, so hooks must be idempotent (seed 004's {@code apply-missing-revisions}
 * is).
 */
@Service
public class PlatformHooks {

  static final int DEFAULT_TIMEOUT_SECONDS = 300;
  static final int OUTPUT_TAIL = 2000;

  private final PlatformOperations platforms;

  PlatformHooks(PlatformOperations platforms) {
    this.platforms = platforms;
  }

  /**
   * What one hook did.
   *
   * @param ranIn {@code exec} (the running container) or {@code run} (a one-off container)
   */
  public record HookResult(
      String at,
      String service,
      List<String> command,
      String ranIn,
      int exitCode,
      double seconds,
      String outputTail) {

    @Override
    public String toString() {
      return at + " " + service + " " + command + " (" + ranIn + "): exit " + exitCode;
    }
  }

  /**
   * Runs the hooks of {@code platform}'s installed release at {@code at}, in declaration order;
   * returns what each did. Throws {@link StepFailure} naming the hook, its exit code and the end of
   * its output when one fails (the later ones are not run).
   *
   * @param previousVersion the version the hop comes from
   */
  public List<HookResult> run(String platform, String at, String previousVersion)
      throws InterruptedException, IOException {
    InstalledPlatform installed = platforms.installed(platform);
    List<PlatformDescriptor.Hook> hooks =
        installed.descriptor().hooks().stream().filter(h -> at.equals(h.at())).toList();
    List<HookResult> results = new ArrayList<>();
    if (hooks.isEmpty()) {
      return results;
    }
    String version = installed.descriptor().platform().version();
    String project = installed.registration().composeProject();
    for (PlatformDescriptor.Hook hook : hooks) {
      List<String> command =
          hook.command().stream()
              .map(
                  arg ->
                      arg.replace(
                              "{previousVersion}", previousVersion == null ? "" : previousVersion)
                          .replace("{version}", version))
              .toList();
      boolean running;
      try (var docker = DockerClients.local()) {
        String state =
            new ComposeServices(docker)
                .health(project, List.of(hook.service()))
                .get(hook.service());
        running =
            !List.of("missing", "exited", "dead", "created", "restarting", "paused")
                .contains(state);
      }
      List<String> args = new ArrayList<>();
      if (running) {
        args.addAll(List.of("exec", "-T", hook.service()));
      } else {
        args.addAll(List.of("run", "--rm", "--no-deps", "-T", hook.service()));
      }
      args.addAll(command);
      int timeout = hook.timeoutSeconds() == null ? DEFAULT_TIMEOUT_SECONDS : hook.timeoutSeconds();
      long begin = System.nanoTime();
      ComposeCli.Result result;
      try {
        result =
            ComposeCli.detect()
                .execute(
                    installed.registration().workingDirectory(),
                    project,
                    installed.descriptor().compose().file(),
                    Duration.ofSeconds(timeout),
                    args);
      } catch (ComposeException e) {
        throw new StepFailure(
            "Hook "
                + at
                + " in "
                + hook.service()
                + " "
                + command
                + " did not complete: "
                + e.getMessage(),
            e);
      }
      double seconds = (System.nanoTime() - begin) / 1e9;
      String output = result.output();
      String tail =
          output.length() > OUTPUT_TAIL
              ? "…" + output.substring(output.length() - OUTPUT_TAIL)
              : output;
      HookResult done =
          new HookResult(
              at,
              hook.service(),
              command,
              running ? "exec" : "run",
              result.exitCode(),
              Math.round(seconds * 10) / 10.0,
              tail);
      results.add(done);
      if (result.exitCode() != 0) {
        throw new StepFailure(
            "Hook "
                + at
                + " in "
                + hook.service()
                + " "
                + command
                + " exited "
                + result.exitCode()
                + " after "
                + done.seconds()
                + " s: "
                + tail.strip().replaceAll("\\s*\\n\\s*", " | "));
      }
    }
    return results;
  }

  /** The version a hop comes from, as a version (not a tag), from the run's plan variable. */
  public static String previousVersion(
      Object planVariable, String hop, PlatformRegistry.Registration registration) {
    if (!(planVariable instanceof Map<?, ?> plan) || !(plan.get("hops") instanceof List<?> hops)) {
      return null;
    }
    for (Object h : hops) {
      if (h instanceof Map<?, ?> m
          && hop.equals(m.get("to"))
          && m.get("from") instanceof String from) {
        return registration.tags().version(from).map(Version::toString).orElse(from);
      }
    }
    return null;
  }
}
