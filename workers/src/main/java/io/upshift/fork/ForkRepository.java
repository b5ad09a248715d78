package io.upshift.fork;

import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
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

  static Map<String, Ref> remoteRefs(Git git) throws GitAPIException {
    Map<String, Ref> refs = new LinkedHashMap<>();
    for (Ref ref :
        git.lsRemote().setRemote(ForkUpgrades.ORIGIN).setHeads(false).setTags(false).call()) {
      refs.put(ref.getName(), ref);
    }
    return refs;
  }

  /** Pushes to origin; every ref must be accepted, else the step fails (retried: transient). */
  static void push(Git git, List<RefSpec> refs) throws GitAPIException {
    Iterable<PushResult> results =
        git.push().setRemote(ForkUpgrades.ORIGIN).setRefSpecs(refs).call();
    List<String> refused = new ArrayList<>();
    for (PushResult result : results) {
      for (RemoteRefUpdate u : result.getRemoteUpdates()) {
        if (u.getStatus() != RemoteRefUpdate.Status.OK
            && u.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE) {
          refused.add(
              u.getRemoteName()
                  + " "
                  + u.getStatus()
                  + (u.getMessage() == null ? "" : " (" + u.getMessage() + ")"));
        }
      }
    }
    if (!refused.isEmpty()) {
      throw new StepFailure("origin refused the push: " + String.join("; ", refused));
    }
  }
}
