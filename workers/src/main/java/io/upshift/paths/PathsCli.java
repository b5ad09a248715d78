package io.upshift.paths;

import io.upshift.platform.DescriptorException;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.platform.Release;
import io.upshift.platform.ReleaseRepository;
import io.upshift.platform.UpgradeRules;
import io.upshift.platform.Version;
import io.upshift.storage.FileTrees;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code upshift paths}: upgrade paths of a platform repository, for people and a platform's own
 * CI. Plain Java, no Spring context. Exit codes: 0 allowed / verified, 1 refused / a path diverges,
 * 2 usage or bad input, 3 cannot verify (repository, Docker, image).
 *
 * <pre>
 *   upshift paths REPOSITORY FROM TO [--all]        the path (why each stepping stone), or why none
 *   upshift paths check REPOSITORY V1 V2 [V3 ...]   whether exactly this path is allowed, and why not
 *   upshift paths verify REPOSITORY [--from X] [--to Y] [--image IMAGE] [--report FILE]
 * </pre>
 */
public final class PathsCli {

  static final String USAGE =
      """
      usage:
        upshift paths REPOSITORY FROM TO [--all]
        upshift paths check REPOSITORY V1 V2 [V3 ...]
        upshift paths verify REPOSITORY [--from X] [--to Y] [--image IMAGE] [--report FILE]
                             [--no-sharing]
      REPOSITORY is a git URL or a local path of the platform's release repository (one tag per
      release). Exit codes: 0 allowed/verified, 1 refused/diverges, 2 usage, 3 cannot verify.""";

  private PathsCli() {}

  public static void main(String[] args) {
    // Plain Java without Spring: logback's default would print every library's debug lines.
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    System.exit(run(args, System.out, System.err));
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> a = new ArrayList<>(Arrays.asList(args));
    try {
      if (a.isEmpty() || a.contains("--help") || a.contains("-h") || a.get(0).equals("help")) {
        (a.isEmpty() ? err : out).println(USAGE);
        return a.isEmpty() ? 2 : 0;
      }
      return switch (a.get(0)) {
        case "verify" -> verify(a.subList(1, a.size()), out, err);
        case "check" -> check(a.subList(1, a.size()), out, err);
        default -> path(a, out, err);
      };
    } catch (UsageException | IllegalArgumentException e) {
      err.println("upshift paths: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (DescriptorException e) {
      err.println("upshift paths: " + e.getMessage());
      return 3;
    } catch (IOException | RuntimeException e) {
      err.println("upshift paths: cannot verify: " + e.getMessage());
      return 3;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 3;
    }
  }

  private static int path(List<String> a, PrintStream out, PrintStream err) throws IOException {
    boolean all = a.remove("--all");
    if (a.size() != 3) {
      throw new UsageException("expected REPOSITORY FROM TO, got " + a);
    }
    Version from = Version.parse(a.get(1));
    Version to = Version.parse(a.get(2));
    return withRules(
        a.get(0),
        to,
        rules -> {
          if (all) {
            List<List<Version>> paths = rules.all(from, to);
            paths.forEach(p -> out.println(UpgradeRules.describe(p)));
            if (paths.isEmpty()) {
              return refuse(rules, from, to, err);
            }
            out.println(paths.size() + " allowed paths");
            return 0;
          }
          Optional<List<Version>> path = rules.shortest(from, to);
          if (path.isEmpty()) {
            return refuse(rules, from, to, err);
          }
          out.println(UpgradeRules.describe(path.get()));
          rules.explain(path.get()).forEach(line -> out.println("  " + line));
          return 0;
        });
  }

  private static int refuse(UpgradeRules rules, Version from, Version to, PrintStream err) {
    err.println(
        "No allowed upgrade path from "
            + from
            + " to "
            + to
            + ". The direct hop is refused: "
            + rules.refusal(from, to).orElse("(allowed)")
            + "; and no chain of releases leads there under the policy "
            + rules.policy().describe());
    return 1;
  }

  private static int check(List<String> a, PrintStream out, PrintStream err) throws IOException {
    if (a.size() < 3) {
      throw new UsageException("expected REPOSITORY V1 V2 [V3 ...]");
    }
    List<Version> path = a.subList(1, a.size()).stream().map(Version::parse).toList();
    return withRules(
        a.get(0),
        path.get(path.size() - 1),
        rules -> {
          Optional<String> why = rules.pathRefusal(path);
          if (why.isPresent()) {
            err.println("Forbidden: " + UpgradeRules.describe(path) + ": " + why.get());
            return 1;
          }
          out.println("Allowed: " + UpgradeRules.describe(path));
          return 0;
        });
  }

  private static int verify(List<String> a, PrintStream out, PrintStream err)
      throws IOException, InterruptedException {
    String from = option(a, "--from");
    String to = option(a, "--to");
    String image = option(a, "--image");
    String reportFile = option(a, "--report");
    boolean share = !a.remove("--no-sharing");
    if (a.size() != 1 || a.get(0).startsWith("--")) {
      throw new UsageException("expected REPOSITORY and options, got " + a);
    }
    Path cache = Files.createTempDirectory("upshift-paths-repo");
    try {
      PathReport report =
          PathVerifier.verify(
              new PathVerifier.Request(
                  url(a.get(0)), cache.resolve("mirror.git"), from, to, image, share));
      String text = report.render();
      out.print(text);
      if (reportFile != null) {
        Files.writeString(Path.of(reportFile), text);
      }
      return report.passed() ? 0 : 1;
    } finally {
      deleteQuietly(cache);
    }
  }

  /**
   * Removes a temporary mirror; JGit may still be writing its background gc log there, so a failure
   * is retried once and then left to the temp directory's cleanup.
   */
  static void deleteQuietly(Path dir) {
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        FileTrees.deleteRecursively(dir);
        return;
      } catch (IOException e) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  interface RulesBody {
    int apply(UpgradeRules rules);
  }

  /** Reads the repository's descriptors; the target's policy applies. */
  private static int withRules(String repository, Version target, RulesBody body)
      throws IOException {
    Path cache = Files.createTempDirectory("upshift-paths-repo");
    try (ReleaseRepository repo = ReleaseRepository.open(url(repository), cache)) {
      Map<Version, PlatformDescriptor> descriptors = new TreeMap<>();
      for (Release r : repo.releases()) {
        descriptors.put(r.version(), repo.descriptor(r));
      }
      if (!descriptors.containsKey(target)) {
        throw new UsageException("there is no release " + target + " in " + repository);
      }
      return body.apply(UpgradeRules.of(descriptors, target));
    } finally {
      deleteQuietly(cache);
    }
  }

  /** A local path becomes a file URL; anything else is passed to git as is. */
  static String url(String repository) {
    Path local = Path.of(repository);
    return Files.exists(local) ? local.toAbsolutePath().toUri().toString() : repository;
  }

  private static String option(List<String> a, String name) {
    int i = a.indexOf(name);
    if (i < 0) {
      return null;
    }
    if (i + 1 >= a.size()) {
      throw new UsageException(name + " needs a value");
    }
    String value = a.get(i + 1);
    a.remove(i + 1);
    a.remove(i);
    return value;
  }

  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
