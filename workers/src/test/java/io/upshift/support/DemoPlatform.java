package io.upshift.support;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.upshift.compose.DockerClients;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo platform for integration tests: its images (built offline, reused by tag) and its
 * release repository (a bare git repository with one tag per release), prepared once per JVM with
 * the same scripts a person uses (deploy/images/build-images.sh, deploy/demo/make-repo.sh).
 */
public final class DemoPlatform {

  /**
   * Compose projects started by tests are named {@code upshift-it-<pid>-<name>}: leftovers of a
   * crashed JVM can be found, and test runs side by side on one Docker engine leave each other's
   * containers alone.
   */
  public static final String PROJECT_PREFIX = "upshift-it-";

  private static final java.util.regex.Pattern OWNER =
      java.util.regex.Pattern.compile("upshift-it-(\\d+)-.*");

  /** The project name for a test deployment of this JVM. */
  public static String project(String name) {
    return PROJECT_PREFIX + ProcessHandle.current().pid() + "-" + name.replaceAll("[^a-z0-9]", "");
  }

  /** Whether a project or volume belongs to a test JVM that is gone. */
  static boolean orphaned(String name) {
    var m = OWNER.matcher(name == null ? "" : name);
    return m.matches()
        && ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true);
  }

  public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static Path repository;

  private DemoPlatform() {}

  /**
   * Builds missing images, (re)creates the release repository, removes leftovers of crashed runs.
   */
  public static synchronized Path repository() {
    if (repository == null) {
      removeLeftovers();
      run(List.of("bash", ROOT.resolve("deploy/images/build-images.sh").toString()), 20);
      Path repo = ROOT.resolve("workers/target/demo/platform.git");
      // --force: the repository is this build's fixture, rewritten when a release's sources
      // changed since an earlier build made it.
      run(
          List.of(
              "bash",
              ROOT.resolve("deploy/demo/make-repo.sh").toString(),
              "--force",
              repo.toString()),
          5);
      repository = repo;
    }
    return repository;
  }

  /**
   * Containers, volumes and networks of test projects left by a JVM that is gone (Ryuk is disabled
   * here).
   */
  public static void removeLeftovers() {
    DockerClient docker = DockerClients.local();
    // Another test JVM of the same build sweeps too: what it removed first is gone, not a failure.
    for (Container c : docker.listContainersCmd().withShowAll(true).exec()) {
      String project =
          c.getLabels() == null ? null : c.getLabels().get("com.docker.compose.project");
      if (orphaned(project)) {
        gone(
            () ->
                docker
                    .removeContainerCmd(c.getId())
                    .withForce(true)
                    .withRemoveVolumes(true)
                    .exec());
      }
    }
    docker.listVolumesCmd().exec().getVolumes().stream()
        .filter(v -> orphaned(v.getName()))
        .forEach(v -> gone(() -> docker.removeVolumeCmd(v.getName()).exec()));
    // Networks too: each holds one of Docker's ~30 default address pools, and once they are used
    // up no compose project (and no rehearsal) can create a network on this machine.
    docker.listNetworksCmd().exec().stream()
        .filter(n -> orphaned(n.getName()))
        .forEach(n -> gone(() -> docker.removeNetworkCmd(n.getId()).exec()));
  }

  private static void gone(Runnable removal) {
    try {
      removal.run();
    } catch (NotFoundException | ConflictException e) {
      // removed (or being removed) by the other sweep
    }
  }

  static void run(List<String> command, int minutes) {
    try {
      Process p =
          new ProcessBuilder(command)
              .inheritIO()
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within " + minutes + " min");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(command + " failed with exit code " + p.exitValue());
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
