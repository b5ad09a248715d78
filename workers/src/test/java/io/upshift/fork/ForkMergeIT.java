package io.upshift.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.MergeCommand;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RepositoryState;
import org.eclipse.jgit.transport.RefSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fork steps on real repositories without the engine: the simulation predicts exactly the
 * conflicts of the real merge (JGit's, which the runbook runs, and command-line git's), and the
 * rollback after a push puts origin back with force-with-lease, refusing to overwrite what someone
 * else pushed.
 */
class ForkMergeIT {

  @TempDir static Path dir;
  static ForkFixtures fixtures;
  static ForkUpgrades forks;

  @BeforeAll
  static void upstream() throws Exception {
    fixtures = ForkFixtures.create(dir, 60, 150, 100);
    forks = new ForkUpgrades(dir.resolve("data"), Clock.systemUTC(), new TestCommands());
  }

  @Test
  void theSimulationPredictsExactlyTheConflictsOfTheRealMerge() throws Exception {
    Path fork = fixtures.fork("sim");
    // More custom commits, at random places in files upstream edits too: some collide, some not.
    Random random = new Random(7);
    List<String> touched = new ArrayList<>();
    try (Git git = Git.open(fork.toFile())) {
      for (int i = 0; i < 40; i++) {
        String path = ForkFixtures.gen(random.nextInt(60));
        List<String> lines = new ArrayList<>(Files.readAllLines(fork.resolve(path)));
        lines.set(random.nextInt(lines.size()), "fork edit " + i);
        Files.write(fork.resolve(path), lines);
        git.add().addFilepattern(path).call();
        touched.add(path);
      }
      git.rm().addFilepattern(ForkFixtures.gen(3)).call(); // modify (upstream) / delete (fork)
      git.commit()
          .setMessage("Random custom edits")
          .setAuthor(ForkFixtures.FORK)
          .setCommitter(ForkFixtures.FORK)
          .call();
      git.fetch().setRemote("upstream").setRefSpecs(new RefSpec("refs/tags/*:refs/tags/*")).call();
    }

    for (String tag : List.of("v1.1", "v1.2")) {
      ObjectId head;
      MergeSimulator.Report report;
      try (Git git = Git.open(fork.toFile())) {
        head = git.getRepository().resolve("HEAD");
        UpgradeRules rules =
            ForkRepository.rules(git.getRepository(), head, ForkJob.DEFAULT_RULES, "HEAD");
        report = MergeSimulator.simulate(git.getRepository(), head, fixtures.tags.get(tag), rules);
        // a dry run: nothing written
        assertThat(git.status().call().isClean()).isTrue();
        assertThat(git.getRepository().getRepositoryState()).isEqualTo(RepositoryState.SAFE);
        assertThat(git.getRepository().resolve("HEAD")).isEqualTo(head);
      }
      List<String> predicted =
          report.conflicts().stream().map(UpgradeRules.Classification::path).toList();
      assertThat(predicted).contains("sky/clouds/cudo.py", ".github/workflows/ci.yml");
      assertThat(predicted.size())
          .as(tag + " conflicts")
          .isGreaterThan(ForkFixtures.MANUAL.size() + 4);
      assertThat(report.bothChangedCount()).isGreaterThan(predicted.size());

      List<String> gitCli = gitCliConflicts(fork, tag);
      List<String> jgit;
      try (Git git = Git.open(fork.toFile())) {
        git.merge()
            .include(fixtures.tags.get(tag))
            .setCommit(false)
            .setFastForward(MergeCommand.FastForwardMode.NO_FF)
            .call();
        jgit = ForkUpgrades.unmerged(git.getRepository());
        git.reset()
            .setMode(org.eclipse.jgit.api.ResetCommand.ResetType.HARD)
            .setRef(head.name())
            .call();
      }
      assertThat(jgit).as("JGit merge of " + tag).containsExactlyElementsOf(predicted);
      assertThat(gitCli).as("git merge of " + tag).containsExactlyElementsOf(predicted);
    }
  }

  @Test
  void rollbackAfterThePushResetsOriginWithLeaseAndRemovesTheUpgradeBranch() throws Exception {
    Path fork = fixtures.fork("pushed");
    Path origin = dir.resolve("pushed-origin.git");
    ForkUpgrades.Preflight p = upgradeAndPush(fork, "run-pushed");
    ObjectId backup = ObjectId.fromString(p.releaseHead());
    assertThat(commit(origin, "refs/heads/" + ForkFixtures.BRANCH)).isNotEqualTo(backup);

    ForkUpgrades.Rollback rollback = new ForkRollback().rollback(p, backup.name(), false);

    assertThat(rollback.remote()).startsWith("reset from ");
    assertThat(rollback.tagDeleted()).isTrue();
    assertThat(commit(fork, "refs/heads/" + ForkFixtures.BRANCH)).isEqualTo(backup);
    assertThat(commit(origin, "refs/heads/" + ForkFixtures.BRANCH)).isEqualTo(backup);
    assertThat(ref(origin, "refs/tags/acme-base-v1.1")).isNull();
    assertThat(ref(origin, "refs/heads/upgrade/v1.1-merge")).isNull();
    assertThat(ref(fork, "refs/heads/upgrade/v1.1-merge")).isNull();
    assertThat(commit(origin, "refs/heads/" + p.backupBranch())).isEqualTo(backup);
    // running it again changes nothing (a redelivered job)
    assertThat(new ForkRollback().rollback(p, backup.name(), false).remote())
        .isEqualTo("unchanged");
  }

  @Test
  void rollbackDoesNotOverwriteWhatSomeoneElsePushedMeanwhile() throws Exception {
    Path fork = fixtures.fork("lease");
    Path origin = dir.resolve("lease-origin.git");
    ForkUpgrades.Preflight p = upgradeAndPush(fork, "run-lease");
    // A colleague pushes a fix on top of the upgrade from their own clone.
    Path colleague = dir.resolve("colleague");
    ObjectId theirs;
    try (Git git =
        Git.cloneRepository()
            .setURI(origin.toUri().toString())
            .setDirectory(colleague.toFile())
            .setBranch(ForkFixtures.BRANCH)
            .call()) {
      Files.writeString(colleague.resolve("HOTFIX.md"), "urgent\n");
      git.add().addFilepattern("HOTFIX.md").call();
      theirs =
          git.commit()
              .setMessage("Hotfix")
              .setAuthor(ForkFixtures.FORK)
              .setCommitter(ForkFixtures.FORK)
              .call()
              .getId();
      git.push().call();
    }

    assertThatThrownBy(() -> new ForkRollback().rollback(p, p.releaseHead(), true))
        .isInstanceOf(StepFailure.class)
        .hasMessageContaining("origin refused to roll back refs/heads/" + ForkFixtures.BRANCH)
        .hasMessageContaining("REJECTED_REMOTE_CHANGED");
    assertThat(commit(origin, "refs/heads/" + ForkFixtures.BRANCH)).isEqualTo(theirs);
    assertThat(commit(fork, "refs/heads/" + ForkFixtures.BRANCH))
        .isEqualTo(ObjectId.fromString(p.releaseHead()));
  }

  @Test
  void aMergeFinishedElsewhereAndPushedToTheUpgradeBranchIsTakenOver() throws Exception {
    Path fork = fixtures.fork("elsewhere");
    Path origin = dir.resolve("elsewhere-origin.git");
    ForkUpgrades.Request request =
        new ForkUpgrades.Request(
            fork.toString(), ForkFixtures.BRANCH, "upstream", "v1.1", ForkJob.DEFAULT_RULES, false);
    ForkUpgrades.Preflight p = forks.preflight("run-elsewhere", request);
    MergeSimulator.Report simulation = forks.simulate(p, ForkJob.DEFAULT_RULES);
    ForkUpgrades.Merge merge = forks.merge(p, ForkJob.DEFAULT_RULES, List.of());
    assertThat(merge.asSimulated()).isFalse(); // nothing was predicted here: the check notices
    assertThat(commit(origin, "refs/heads/upgrade/v1.1-merge"))
        .isEqualTo(ObjectId.fromString(p.releaseHead()));

    // A colleague merges in their own clone, leaves markers in one file, and pushes.
    Path colleague = dir.resolve("elsewhere-colleague");
    try (Git git =
        Git.cloneRepository()
            .setURI(origin.toUri().toString())
            .setDirectory(colleague.toFile())
            .setBranch("upgrade/v1.1-merge")
            .call()) {
      git.fetch()
          .setRemote(fixtures.upstream.toUri().toString())
          .setRefSpecs(new RefSpec("refs/tags/v1.1:refs/tags/v1.1"))
          .call();
      git.merge()
          .include(fixtures.tags.get("v1.1"))
          .setCommit(false)
          .setFastForward(MergeCommand.FastForwardMode.NO_FF)
          .call();
      for (String path : ForkUpgrades.unmerged(git.getRepository())) {
        if (!path.equals("sky/clouds/cudo.py")) {
          Files.writeString(colleague.resolve(path), "resolved elsewhere\n");
        }
        git.add().addFilepattern(path).call();
      }
      git.commit()
          .setMessage("Merge v1.1, resolved by hand")
          .setAuthor(ForkFixtures.FORK)
          .setCommitter(ForkFixtures.FORK)
          .call();
      git.push().call();
    }
    ForkUpgrades.ManualCheck check = forks.checkResolved(p, merge);
    assertThat(check.clean()).isFalse();
    assertThat(check.unresolved())
        .singleElement()
        .asString()
        .startsWith("sky/clouds/cudo.py: conflict markers (line ");

    // The colleague fixes it in a follow-up commit on the branch.
    try (Git git = Git.open(colleague.toFile())) {
      Files.writeString(colleague.resolve("sky/clouds/cudo.py"), "resolved elsewhere, too\n");
      git.add().addFilepattern("sky/clouds/cudo.py").call();
      git.commit()
          .setMessage("Resolve cudo")
          .setAuthor(ForkFixtures.FORK)
          .setCommitter(ForkFixtures.FORK)
          .call();
      git.push().call();
    }
    assertThat(forks.checkResolved(p, merge).clean()).isTrue();
    ObjectId pushed = commit(origin, "refs/heads/upgrade/v1.1-merge");
    ForkUpgrades.Tests tests = forks.test(p, ForkJob.DEFAULT_RULES);
    ForkUpgrades.Finish finish =
        forks.finish("run-elsewhere", p, simulation, merge, tests, null, null);

    ObjectId release = commit(fork, "refs/heads/" + ForkFixtures.BRANCH);
    assertThat(release).isEqualTo(ObjectId.fromString(finish.commit()));
    try (Git git = Git.open(fork.toFile());
        org.eclipse.jgit.revwalk.RevWalk walk =
            new org.eclipse.jgit.revwalk.RevWalk(git.getRepository())) {
      var head = walk.parseCommit(release);
      assertThat(head.getParent(0).getId()).isEqualTo(pushed);
      assertThat(head.getFullMessage()).startsWith("Record the upgrade to v1.1");
      assertThat(ForkRepository.read(git.getRepository(), release, "sky/clouds/cudo.py"))
          .contains("resolved elsewhere, too\n");
      assertThat(ForkRepository.read(git.getRepository(), release, "fork/test-baselines/v1.1.json"))
          .isPresent();
    }
    assertThat(commit(origin, "refs/heads/" + ForkFixtures.BRANCH)).isEqualTo(release);
    assertThat(commit(origin, "refs/tags/acme-base-v1.1")).isEqualTo(release);
  }

  @Test
  void theSimulateCommandPrintsTheReportAndWritesNothing() throws Exception {
    Path fork = fixtures.fork("cli");
    try (Git git = Git.open(fork.toFile())) {
      git.fetch().setRemote("upstream").setRefSpecs(new RefSpec("refs/tags/*:refs/tags/*")).call();
    }
    var out = new java.io.ByteArrayOutputStream();
    var err = new java.io.ByteArrayOutputStream();

    int exit =
        ForkSimulateCommand.run(
            new String[] {fork.toString(), "v1.1"},
            new java.io.PrintStream(out, true),
            new java.io.PrintStream(err, true));

    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("Merge simulation: v1.1 into acme-release")
        .contains("6 conflicted file(s)")
        .contains(
            "accept-upstream (3): docs/guide.md, sky/adaptors/seeweb.py, sky/setup_files/dependencies.py")
        .contains("keep-ours (1): .github/workflows/ci.yml")
        .contains("manual sky/clouds/cudo.py <- (no rule)")
        .containsPattern("simulated in \\d+ ms");
    try (Git git = Git.open(fork.toFile())) {
      assertThat(git.status().call().isClean()).isTrue();
      assertThat(git.getRepository().getRepositoryState()).isEqualTo(RepositoryState.SAFE);
    }

    err.reset();
    assertThat(
            ForkSimulateCommand.run(
                new String[] {fork.toString(), "v9"},
                new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no tag v9 (fetch upstream tags first)");
  }

  @Test
  void preflightRefusesWhatIsNotReadyNamingTheFieldAndFiles() throws Exception {
    Path fork = fixtures.fork("refusals");
    Files.writeString(fork.resolve("sky/clouds/cudo.py"), "work in progress\n");
    Files.writeString(fork.resolve("notes.txt"), "scratch\n");
    assertThatThrownBy(() -> forks.preflight("r1", request(fork, "upstream", "v1.1")))
        .isInstanceOf(ForkNotReadyException.class)
        .hasMessageContaining("is not clean (2 file(s)): notes.txt, sky/clouds/cudo.py")
        .extracting(e -> ((ForkNotReadyException) e).code())
        .isEqualTo(ForkNotReadyException.NOT_READY);
    try (Git git = Git.open(fork.toFile())) {
      git.checkout().addPath("sky/clouds/cudo.py").call();
    }
    Files.delete(fork.resolve("notes.txt"));

    assertThatThrownBy(() -> forks.preflight("r2", request(fork, "nowhere", "v1.1")))
        .hasMessageContaining("upstreamRemote: 'nowhere' is neither a remote");
    assertThatThrownBy(() -> forks.preflight("r3", request(fork, "upstream", "v7.0")))
        .hasMessageContaining("targetTag: upstream 'upstream'")
        .hasMessageContaining("has no tag 'v7.0'");
    assertThatThrownBy(
            () ->
                forks.preflight(
                    "r4", request(dir.resolve("upstream.git").getParent(), "upstream", "v1.1")))
        .hasMessageContaining("is not a git working copy");
    ForkUpgrades.Preflight ready = forks.preflight("r5", request(fork, "upstream", "v1.1"));
    assertThat(ready.baseTag()).isEqualTo("acme-base-v1.0");
    assertThat(ready.customCommits()).isEqualTo(10);
    assertThat(ready.upstreamCommits()).isEqualTo(150);
    assertThat(Files.readAllLines(Path.of(ready.evidenceDir()).resolve("custom-commits.txt")))
        .hasSize(10);
  }

  private static ForkUpgrades.Request request(Path fork, String remote, String tag) {
    return new ForkUpgrades.Request(
        fork.toString(), ForkFixtures.BRANCH, remote, tag, ForkJob.DEFAULT_RULES, false);
  }

  /** The service's steps one after another, as the runbook calls them, up to the push. */
  private static ForkUpgrades.Preflight upgradeAndPush(Path fork, String runId) throws Exception {
    ForkUpgrades.Request request =
        new ForkUpgrades.Request(
            fork.toString(), ForkFixtures.BRANCH, "upstream", "v1.1", ForkJob.DEFAULT_RULES, false);
    ForkUpgrades.Preflight p = forks.preflight(runId, request);
    MergeSimulator.Report simulation = forks.simulate(p, ForkJob.DEFAULT_RULES);
    ForkUpgrades.Merge merge =
        forks.merge(
            p,
            ForkJob.DEFAULT_RULES,
            simulation.conflicts().stream().map(UpgradeRules.Classification::path).toList());
    assertThat(merge.asSimulated()).isTrue();
    assertThat(forks.checkResolved(p, merge).unresolved()).hasSize(2);
    try (Git git = Git.open(fork.toFile())) {
      for (UpgradeRules.Classification c : merge.manual()) {
        Files.writeString(fork.resolve(c.path()), "resolved by hand\n");
        git.add().addFilepattern(c.path()).call();
      }
    }
    assertThat(forks.checkResolved(p, merge).clean()).isTrue();
    ForkUpgrades.Tests tests = forks.test(p, ForkJob.DEFAULT_RULES);
    assertThat(tests.regressions()).isEmpty();
    forks.finish(runId, p, simulation, merge, tests, null, null);
    return p;
  }

  private static List<String> gitCliConflicts(Path fork, String tag) throws Exception {
    run(
        fork,
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "merge.renames=false",
        "merge",
        "--no-commit",
        "--no-ff",
        tag);
    String out = run(fork, "git", "diff", "--name-only", "--diff-filter=U");
    run(fork, "git", "merge", "--abort");
    return out.isBlank() ? List.of() : out.strip().lines().sorted().toList();
  }

  private static String run(Path dir, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  private static ObjectId commit(Path repo, String ref) throws IOException {
    try (Git git = Git.open(repo.toFile())) {
      return ForkRepository.commit(git.getRepository(), ref).orElse(null);
    }
  }

  private static org.eclipse.jgit.lib.Ref ref(Path repo, String ref) throws IOException {
    try (Git git = Git.open(repo.toFile())) {
      return git.getRepository().exactRef(ref);
    }
  }
}
