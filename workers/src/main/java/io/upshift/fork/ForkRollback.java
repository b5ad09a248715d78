package io.upshift.fork;

import static io.upshift.fork.ForkUpgrades.ORIGIN;

import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.springframework.stereotype.Service;

/**
 * Undoes a fork upgrade after an abort or a failure past the merge: the release branch back on the
 * backup commit (the same id) locally and on origin with force-with-lease, the new base tag and
 * (unless kept) the upgrade branch deleted. Safe to run again.
 */
@Service
class ForkRollback {

  ForkUpgrades.Rollback rollback(
      ForkUpgrades.Preflight p, String backupCommit, boolean keepUpgradeBranch)
      throws IOException, GitAPIException, java.net.URISyntaxException {
    ObjectId backup = ObjectId.fromString(backupCommit == null ? p.releaseHead() : backupCommit);
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      // Leave the merge (if any) on whatever branch is checked out, then put the release back.
      git.reset().setMode(ResetCommand.ResetType.HARD).call();
      git.clean().setCleanDirectories(true).call();
      git.checkout().setName(p.releaseBranch()).setForced(true).call();
      git.reset().setMode(ResetCommand.ResetType.HARD).setRef(backup.name()).call();
      git.clean().setCleanDirectories(true).call();

      Map<String, Ref> remote = ForkRepository.remoteRefs(git);
      List<RemoteRefUpdate> updates = new ArrayList<>();
      String releaseRef = Constants.R_HEADS + p.releaseBranch();
      String remoteState = "unchanged";
      Ref remoteRelease = remote.get(releaseRef);
      if (remoteRelease != null && !remoteRelease.getObjectId().equals(backup)) {
        // --force-with-lease: only overwrite what this run pushed (the tracking ref), nothing
        // newer.
        Ref tracking = repo.exactRef(Constants.R_REMOTES + ORIGIN + "/" + p.releaseBranch());
        ObjectId lease = tracking == null ? remoteRelease.getObjectId() : tracking.getObjectId();
        updates.add(
            new RemoteRefUpdate(
                repo,
                releaseRef,
                backup,
                releaseRef,
                true,
                tracking == null ? null : tracking.getName(),
                lease));
        remoteState = "reset from " + remoteRelease.getObjectId().abbreviate(10).name();
      }
      String tagRef = Constants.R_TAGS + p.newBaseTag();
      boolean tagDeleted = false;
      Ref localTag = repo.exactRef(tagRef);
      if (localTag != null) {
        git.tagDelete().setTags(p.newBaseTag()).call();
        tagDeleted = true;
      }
      if (remote.containsKey(tagRef)) {
        updates.add(
            new RemoteRefUpdate(
                repo, (String) null, tagRef, true, null, remote.get(tagRef).getObjectId()));
        tagDeleted = true;
      }
      String upgradeRef = Constants.R_HEADS + p.upgradeBranch();
      boolean upgradeDeleted = false;
      if (!keepUpgradeBranch) {
        if (repo.exactRef(upgradeRef) != null) {
          git.branchDelete().setBranchNames(upgradeRef).setForce(true).call();
          upgradeDeleted = true;
        }
        if (remote.containsKey(upgradeRef)) {
          updates.add(
              new RemoteRefUpdate(
                  repo,
                  (String) null,
                  upgradeRef,
                  true,
                  null,
                  remote.get(upgradeRef).getObjectId()));
          upgradeDeleted = true;
        }
      }
      if (!updates.isEmpty()) {
        try (Transport transport = Transport.open(repo, ORIGIN)) {
          PushResult result =
              transport.push(org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE, updates);
          for (RemoteRefUpdate u : result.getRemoteUpdates()) {
            if (u.getStatus() != RemoteRefUpdate.Status.OK
                && u.getStatus() != RemoteRefUpdate.Status.UP_TO_DATE) {
              throw new StepFailure(
                  "origin refused to roll back "
                      + u.getRemoteName()
                      + ": "
                      + u.getStatus()
                      + (u.getMessage() == null ? "" : " (" + u.getMessage() + ")")
                      + "; someone else pushed there since. The local "
                      + p.releaseBranch()
                      + " is back on "
                      + backup.name()
                      + "; settle origin by hand");
            }
          }
        }
      }
      ObjectId now = ForkRepository.commit(repo, releaseRef).orElseThrow();
      if (!now.equals(backup)) {
        throw new StepFailure(
            p.releaseBranch()
                + " is at "
                + now.name()
                + " after the rollback, expected "
                + backup.name());
      }
      return new ForkUpgrades.Rollback(
          p.releaseBranch(),
          backup.name(),
          remoteState,
          tagDeleted,
          p.upgradeBranch(),
          upgradeDeleted);
    }
  }
}
