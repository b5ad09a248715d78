package io.upshift.fork;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code ./upshift fork simulate <repo> <tag> [--branch B] [--rules FILE]}: prints the merge
 * simulation of an upstream tag into a fork's branch (default: the checked-out branch) and how the
 * fork's rules classify each conflict. Plain Java, no Spring context, nothing written; the tag must
 * already be in the repository (fetch it first). Exit codes: 0 simulated, 2 usage or unusable
 * input.
 */
public final class ForkSimulateCommand {

  private ForkSimulateCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> positional = new ArrayList<>();
    String branch = null;
    String rulesFile = ForkJob.DEFAULT_RULES;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--branch", "--rules" -> {
          if (i + 1 >= args.length) {
            return usage(err, args[i] + " needs a value");
          }
          if (args[i].equals("--branch")) {
            branch = args[++i];
          } else {
            rulesFile = args[++i];
          }
        }
        case "-h", "--help" -> {
          usage(out, null);
          return 0;
        }
        default -> {
          if (args[i].startsWith("-")) {
            return usage(err, "unknown option " + args[i]);
          }
          positional.add(args[i]);
        }
      }
    }
    if (positional.size() != 2) {
      return usage(err, "expected <repo> <tag>");
    }
    Path dir = Path.of(positional.get(0));
    String tag = positional.get(1);
    if (!Files.isDirectory(dir)) {
      err.println("upshift fork simulate: " + dir + " is not a directory");
      return 2;
    }
    try (Git git = Git.open(dir.toFile())) {
      Repository repo = git.getRepository();
      String ref = branch == null ? repo.getFullBranch() : Constants.R_HEADS + branch;
      ObjectId ours =
          ForkRepository.commit(repo, ref)
              .orElseThrow(() -> new IllegalArgumentException("no branch " + ref));
      ObjectId theirs =
          ForkRepository.commit(repo, Constants.R_TAGS + tag)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "no tag " + tag + " (fetch upstream tags first)"));
      String note = "";
      UpgradeRules rules;
      if (ForkRepository.read(repo, ours, rulesFile).isPresent()) {
        rules = ForkRepository.rules(repo, ours, rulesFile, ref);
      } else {
        rules =
            new UpgradeRules(
                "none",
                List.of(),
                List.of("true"),
                RulesReader.DEFAULT_TEST_TIMEOUT,
                List.of(),
                List.of());
        note = " (no " + rulesFile + " on that branch: every conflict is manual)";
      }
      long started = System.nanoTime();
      MergeSimulator.Report report = MergeSimulator.simulate(repo, ours, theirs, rules);
      long millis = (System.nanoTime() - started) / 1_000_000;
      out.println(
          "Merge simulation: "
              + tag
              + " into "
              + Repository.shortenRefName(ref)
              + " ("
              + dir
              + ")");
      out.println(report.text());
      out.println("upstream areas: " + String.join(", ", report.upstreamAreas()));
      out.println("simulated in " + millis + " ms");
      return 0;
    } catch (ForkNotReadyException | IllegalArgumentException e) {
      err.println("upshift fork simulate: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("upshift fork simulate: " + e);
      return 2;
    }
  }

  private static int usage(PrintStream stream, String problem) {
    if (problem != null) {
      stream.println("upshift fork simulate: " + problem);
    }
    stream.println("usage: upshift fork simulate <repo> <tag> [--branch B] [--rules FILE]");
    return 2;
  }
}
