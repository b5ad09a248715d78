package io.upshift.fork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/** Small JGit helpers shared by the fork steps and the simulate command. */
final class ForkRepository {

  private ForkRepository() {}

  /** The commit a ref (branch, tag, annotated tag) points at; empty when there is no such ref. */
  static Optional<ObjectId> commit(Repository repo, String refName) throws IOException {
    Ref ref = repo.exactRef(refName);
    if (ref == null) {
      return Optional.empty();
    }
    try (RevWalk walk = new RevWalk(repo)) {
      RevObject object = walk.peel(walk.parseAny(ref.getObjectId()));
      return object instanceof RevCommit c ? Optional.of(c.getId()) : Optional.empty();
    }
  }

  /** A file's text in a commit; empty when the commit has no such file. */
  static Optional<String> read(Repository repo, ObjectId commit, String path) throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit c = walk.parseCommit(commit);
      try (TreeWalk tree = TreeWalk.forPath(repo, path, c.getTree())) {
        if (tree == null) {
          return Optional.empty();
        }
        ObjectLoader loader = repo.open(tree.getObjectId(0));
        return Optional.of(new String(loader.getBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  static boolean isAncestor(Repository repo, ObjectId ancestor, ObjectId of) throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      return walk.isMergedInto(walk.parseCommit(ancestor), walk.parseCommit(of));
    }
  }

  static UpgradeRules rules(Repository repo, ObjectId commit, String rulesFile, String branch)
      throws IOException {
    String text =
        read(repo, commit, rulesFile)
            .orElseThrow(
                () ->
                    new ForkNotReadyException(
                        ForkNotReadyException.RULES_INVALID,
                        "rulesFile: "
                            + rulesFile
                            + " does not exist in "
                            + branch
                            + " (commit "
                            + commit.abbreviate(10).name()
                            + "); the rules are versioned in the fork"));
    try {
      return RulesReader.read(rulesFile, text);
    } catch (RulesException e) {
      throw new ForkNotReadyException(ForkNotReadyException.RULES_INVALID, e.getMessage());
    }
  }
}
