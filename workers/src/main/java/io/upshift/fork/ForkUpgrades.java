package io.upshift.fork;

import io.upshift.fork.UpgradeRules.Classification;
import io.upshift.fork.UpgradeRules.Decision;
import io.upshift.run.StepFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.eclipse.jgit.api.CheckoutCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.MergeCommand;
import org.eclipse.jgit.api.MergeResult;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.Status;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.diff.DiffEntry;
import org.eclipse.jgit.diff.DiffFormatter;
import org.eclipse.jgit.diff.Edit;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryState;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.revwalk.filter.RevFilter;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.util.io.DisabledOutputStream;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * The fork upgrade (seed 000) without Zeebe: pre-flight, merge simulation, backup and merge with
 * rule-based resolution, the check for manual conflicts, install and test against the baseline,
 * commit-tag-push, and rollback. Every step re-opens the repository from the paths in its inputs
 * and is safe to run again for the same run (a redelivered job).
 */
@Service
class ForkUpgrades {

  static final String ORIGIN = "origin";
  static final String BASELINES = "fork/test-baselines/";
  static final String CUSTOM_CHANGES = "fork/CUSTOM_CHANGES.md";
  static final int MAX_LISTED = 30;
  private static final Pattern MARKER_START = Pattern.compile("(?m)^<<<<<<< ");
  private static final Pattern MARKER_END = Pattern.compile("(?m)^>>>>>>> ");

  private final Path workRoot;
  private final Clock clock;
  private final TestCommands commands;

  ForkUpgrades(@Value("${upshift.data-dir}") Path dataDir, Clock clock, TestCommands commands) {
    this.workRoot = dataDir.resolve("fork");
    this.clock = clock;
    this.commands = commands;
  }

  /** The start variables of a fork-upgrade run (validated by {@link ForkInputValidator}). */
  record Request(
      String repository,
      String releaseBranch,
      String upstreamRemote,
      String targetTag,
      String rulesFile,
      boolean keepUpgradeBranch) {}

  /** What pre-flight found; every later step works from these ids, not from moving refs. */
  record Preflight(
      String workDir,
      String evidenceDir,
      String releaseBranch,
      String releaseHead,
      String targetVersion,
      String targetCommit,
      String tagPrefix,
      String baseTag,
      String baseVersion,
      String baseCommit,
      String backupBranch,
      String upgradeBranch,
      String newBaseTag,
      int upstreamCommits,
      int customCommits,
      List<String> customLog,
      int customFiles,
      List<String> diffStat) {}

  /** The real merge on the upgrade branch and what the rules decided. */
  record Merge(
      String backupBranch,
      String backupCommit,
      String upgradeBranch,
      List<String> conflicts,
      boolean asSimulated,
      List<String> differences,
      List<Classification> resolved,
      List<Classification> manual) {}

  /** Whether the manual conflicts are resolved; {@code unresolved} names each file and why not. */
  record ManualCheck(boolean clean, List<String> unresolved) {}

  /** Install and test, compared with the baseline of the base version. */
  record Tests(
      int passed,
      int failed,
      int skipped,
      String source,
      int exitCode,
      List<String> failures,
      String baselineVersion,
      boolean baselineFound,
      List<String> preExisting,
      List<String> regressions,
      List<String> fixed,
      String log) {}

  /** The finished upgrade. */
  record Finish(String commit, String tag, String releaseBranch, List<String> pushed) {}

  /** The rollback: the release branch back on the backup commit, locally and on origin. */
  record Rollback(
      String releaseBranch,
      String commit,
      String remote,
      boolean tagDeleted,
      String upgradeBranch,
      boolean upgradeBranchDeleted) {}

  // ---------------------------------------------------------------------------------- preflight

  Preflight preflight(String runId, Request in) throws IOException, GitAPIException {
    Path evidence = evidenceDir(runId);
    Path workDir = workingCopy(runId, in);
    try (Git git = open(workDir)) {
      Repository repo = git.getRepository();
      if (repo.isBare()) {
        throw notReady("repository: " + workDir + " is a bare repository; give a working copy");
      }
      if (repo.getRepositoryState() != RepositoryState.SAFE) {
        throw notReady(
            "repository: "
                + workDir
                + " is in state "
                + repo.getRepositoryState().getDescription()
                + "; finish or abort that first");
      }
      Status status = git.status().call();
      Set<String> dirty = new TreeSet<>();
      dirty.addAll(status.getUncommittedChanges());
      dirty.addAll(status.getUntracked());
      if (!dirty.isEmpty()) {
        throw notReady(
            "repository: the working tree of "
                + workDir
                + " is not clean ("
                + dirty.size()
                + " file(s)): "
                + String.join(", ", dirty.stream().limit(20).toList())
                + (dirty.size() > 20 ? ", ..." : "")
                + "; commit or stash them first");
      }
      if (repo.getConfig().getSubsections("remote").stream().noneMatch(ORIGIN::equals)) {
        throw notReady("repository: " + workDir + " has no remote 'origin' to push the result to");
      }
      String releaseRef = Constants.R_HEADS + in.releaseBranch();
      ObjectId head =
          ForkRepository.commit(repo, releaseRef)
              .orElseThrow(
                  () ->
                      notReady(
                          "releaseBranch: no branch '" + in.releaseBranch() + "' in " + workDir));
      UpgradeRules rules = ForkRepository.rules(repo, head, in.rulesFile(), in.releaseBranch());

      FetchResult fetched;
      try {
        fetched =
            git.fetch()
                .setRemote(in.upstreamRemote())
                .setRefSpecs(new RefSpec("refs/tags/*:refs/tags/*"))
                .setTagOpt(TagOpt.FETCH_TAGS)
                .call();
      } catch (InvalidRemoteException e) {
        throw notReady(
            "upstreamRemote: '"
                + in.upstreamRemote()
                + "' is neither a remote of "
                + workDir
                + " nor a repository URL");
      }
      ObjectId target =
          ForkRepository.commit(repo, Constants.R_TAGS + in.targetTag())
              .orElseThrow(
                  () ->
                      notReady(
                          "targetTag: upstream '"
                              + in.upstreamRemote()
                              + "' ("
                              + fetched.getURI()
                              + ") has no tag '"
                              + in.targetTag()
                              + "'"));
      String basePrefix = rules.tagPrefix() + "-base-";
      Map<ObjectId, String> baseTags = new LinkedHashMap<>();
      for (Ref ref : repo.getRefDatabase().getRefsByPrefix(Constants.R_TAGS + basePrefix)) {
        ForkRepository.commit(repo, ref.getName())
            .ifPresent(
                c -> baseTags.putIfAbsent(c, ref.getName().substring(Constants.R_TAGS.length())));
      }
      String baseTag = null;
      ObjectId baseCommit = null;
      try (RevWalk walk = new RevWalk(repo)) {
        walk.sort(RevSort.TOPO);
        walk.markStart(walk.parseCommit(head));
        for (RevCommit c : walk) {
          if (baseTags.containsKey(c.getId())) {
            baseTag = baseTags.get(c.getId());
            baseCommit = c.getId();
            break;
          }
        }
      }
      if (baseTag == null) {
        throw notReady(
            "releaseBranch: no base tag "
                + basePrefix
                + "<version> on "
                + in.releaseBranch()
                + "; tag the upstream release the fork is based on first");
      }
      if (ForkRepository.isAncestor(repo, target, head)) {
        throw notReady("targetTag: " + in.releaseBranch() + " already contains " + in.targetTag());
      }
      String newBaseTag = basePrefix + in.targetTag();
      if (repo.exactRef(Constants.R_TAGS + newBaseTag) != null) {
        throw notReady("targetTag: the base tag " + newBaseTag + " exists already");
      }
      String backupBranch =
          "backup-" + in.releaseBranch() + "-before-" + in.targetTag() + "-upgrade";
      Optional<ObjectId> backup = ForkRepository.commit(repo, Constants.R_HEADS + backupBranch);
      if (backup.isPresent() && !backup.get().equals(head)) {
        throw notReady(
            "releaseBranch: the backup branch "
                + backupBranch
                + " exists and points at "
                + backup.get().abbreviate(10).name()
                + ", not at "
                + in.releaseBranch()
                + "; remove or rename it");
      }
      String upgradeBranch = "upgrade/" + in.targetTag() + "-merge";
      String upgradeRef = Constants.R_HEADS + upgradeBranch;
      Ref remoteUpgrade = ForkRepository.remoteRefs(git).get(upgradeRef);
      Optional<ObjectId> localUpgrade = ForkRepository.commit(repo, upgradeRef);
      if ((localUpgrade.isPresent() && !localUpgrade.get().equals(head))
          || (remoteUpgrade != null && !remoteUpgrade.getObjectId().equals(head))) {
        throw notReady(
            "targetTag: the upgrade branch "
                + upgradeBranch
                + " exists already"
                + (remoteUpgrade != null ? " on origin" : "")
                + " (kept from an earlier run?); delete it locally and on origin first");
      }

      List<String> log = new ArrayList<>();
      try (RevWalk walk = new RevWalk(repo)) {
        walk.setRevFilter(RevFilter.NO_MERGES);
        walk.markStart(walk.parseCommit(head));
        walk.markUninteresting(walk.parseCommit(baseCommit));
        for (RevCommit c : walk) {
          log.add(c.abbreviate(10).name() + " " + c.getShortMessage());
        }
      }
      int upstreamCommits = 0;
      try (RevWalk walk = new RevWalk(repo)) {
        walk.markStart(walk.parseCommit(target));
        walk.markUninteresting(walk.parseCommit(head));
        for (RevCommit ignored : walk) {
          upstreamCommits++;
        }
      }
      List<String> diffStat = diffStat(repo, baseCommit, head);
      Files.write(evidence.resolve("custom-commits.txt"), log);
      Files.write(evidence.resolve("custom-changes.txt"), diffStat);
      return new Preflight(
          workDir.toString(),
          evidence.toString(),
          in.releaseBranch(),
          head.name(),
          in.targetTag(),
          target.name(),
          rules.tagPrefix(),
          baseTag,
          baseTag.substring(basePrefix.length()),
          baseCommit.name(),
          backupBranch,
          upgradeBranch,
          newBaseTag,
          upstreamCommits,
          log.size(),
          log.stream().limit(MAX_LISTED).toList(),
          diffStat.size(),
          diffStat.stream().limit(MAX_LISTED).toList());
    }
  }

  private static Git open(Path workDir) throws IOException {
    try {
      return Git.open(workDir.toFile());
    } catch (RepositoryNotFoundException e) {
      throw notReady("repository: " + workDir + " is not a git working copy");
    }
  }

  /** A local working copy as is; a URL is cloned once per run into Upshift's data directory. */
  private Path workingCopy(String runId, Request in) throws GitAPIException, IOException {
    String repository = in.repository();
    if (!repository.contains("://") && !repository.startsWith("git@")) {
      Path path = Path.of(repository).toAbsolutePath().normalize();
      if (!Files.isDirectory(path)) {
        throw notReady("repository: " + repository + " is neither a directory nor a URL");
      }
      return path;
    }
    Path clone = workRoot.resolve(runId).resolve("repository");
    if (!Files.isDirectory(clone.resolve(".git"))) {
      Files.createDirectories(clone.getParent());
      try (Git ignored =
          Git.cloneRepository()
              .setURI(repository)
              .setDirectory(clone.toFile())
              .setBranch(in.releaseBranch())
              .call()) {
        // cloned
      }
    }
    return clone;
  }

  private static List<String> diffStat(Repository repo, ObjectId from, ObjectId to)
      throws IOException {
    List<String> lines = new ArrayList<>();
    try (RevWalk walk = new RevWalk(repo);
        DiffFormatter diff = new DiffFormatter(DisabledOutputStream.INSTANCE)) {
      diff.setRepository(repo);
      for (DiffEntry entry :
          diff.scan(walk.parseCommit(from).getTree(), walk.parseCommit(to).getTree())) {
        int added = 0;
        int deleted = 0;
        for (Edit edit : diff.toFileHeader(entry).toEditList()) {
          added += edit.getLengthB();
          deleted += edit.getLengthA();
        }
        String path =
            entry.getChangeType() == DiffEntry.ChangeType.DELETE
                ? entry.getOldPath()
                : entry.getNewPath();
        lines.add(path + " | +" + added + " -" + deleted);
      }
    }
    return lines;
  }

  // ---------------------------------------------------------------------------------- simulate

  MergeSimulator.Report simulate(Preflight p, String rulesFile) throws IOException {
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      UpgradeRules rules =
          ForkRepository.rules(
              repo, ObjectId.fromString(p.releaseHead()), rulesFile, p.releaseBranch());
      MergeSimulator.Report report =
          MergeSimulator.simulate(
              repo,
              ObjectId.fromString(p.releaseHead()),
              ObjectId.fromString(p.targetCommit()),
              rules);
      Files.writeString(Path.of(p.evidenceDir()).resolve("simulation.txt"), report.text() + "\n");
      return report;
    }
  }

  // ---------------------------------------------------------------------------------- merge

  Merge merge(Preflight p, String rulesFile, List<String> simulated)
      throws IOException, GitAPIException {
    ObjectId start = ObjectId.fromString(p.releaseHead());
    ObjectId target = ObjectId.fromString(p.targetCommit());
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      String upgradeRef = Constants.R_HEADS + p.upgradeBranch();
      if (upgradeRef.equals(repo.getFullBranch())) {
        // A redelivered job: start the merge again from the same commit.
        git.reset().setMode(ResetCommand.ResetType.HARD).setRef(start.name()).call();
      }
      ObjectId release =
          ForkRepository.commit(repo, Constants.R_HEADS + p.releaseBranch()).orElseThrow();
      if (!release.equals(start)) {
        throw new StepFailure(
            p.releaseBranch()
                + " moved since pre-flight (now "
                + release.abbreviate(10).name()
                + ", was "
                + start.abbreviate(10).name()
                + "); nothing was merged, start a new run");
      }
      UpgradeRules rules = ForkRepository.rules(repo, start, rulesFile, p.releaseBranch());
      Optional<ObjectId> backup = ForkRepository.commit(repo, Constants.R_HEADS + p.backupBranch());
      if (backup.isEmpty()) {
        git.branchCreate().setName(p.backupBranch()).setStartPoint(start.name()).call();
      } else if (!backup.get().equals(start)) {
        throw new StepFailure(
            "backup branch "
                + p.backupBranch()
                + " points at "
                + backup.get().name()
                + ", not at "
                + start.name()
                + "; remove it and start a new run");
      }
      ForkRepository.push(
          git,
          List.of(
              new RefSpec(
                  Constants.R_HEADS
                      + p.backupBranch()
                      + ":"
                      + Constants.R_HEADS
                      + p.backupBranch())));
      git.checkout()
          .setName(p.upgradeBranch())
          .setCreateBranch(repo.exactRef(upgradeRef) == null)
          .setStartPoint(start.name())
          .call();
      git.reset().setMode(ResetCommand.ResetType.HARD).setRef(start.name()).call();
      // Published at the backup commit: people may finish the merge elsewhere and push it there.
      ForkRepository.push(git, List.of(new RefSpec(upgradeRef + ":" + upgradeRef)));
      MergeResult result =
          git.merge()
              .include(target)
              .setCommit(false)
              .setFastForward(MergeCommand.FastForwardMode.NO_FF)
              .call();
      if (result.getMergeStatus() == MergeResult.MergeStatus.FAILED
          || result.getMergeStatus() == MergeResult.MergeStatus.ABORTED) {
        throw new StepFailure(
            "merging "
                + p.targetVersion()
                + " failed: "
                + result.getMergeStatus()
                + (result.getFailingPaths() == null ? "" : " " + result.getFailingPaths()));
      }
      List<String> conflicts = unmerged(repo);
      List<String> differences = new ArrayList<>();
      for (String path : conflicts) {
        if (!simulated.contains(path)) {
          differences.add("not predicted: " + path);
        }
      }
      for (String path : simulated) {
        if (!conflicts.contains(path)) {
          differences.add("predicted but merged cleanly: " + path);
        }
      }
      List<Classification> resolved = new ArrayList<>();
      List<Classification> manual = new ArrayList<>();
      Map<String, int[]> stages = stages(repo);
      for (String path : conflicts) {
        Classification c = rules.classify(path);
        if (c.decision().equals(Decision.ACCEPT_UPSTREAM.wire())) {
          take(git, path, stages.get(path), DirCacheEntry.STAGE_3, CheckoutCommand.Stage.THEIRS);
          resolved.add(c);
        } else if (c.decision().equals(Decision.KEEP_OURS.wire())) {
          take(git, path, stages.get(path), DirCacheEntry.STAGE_2, CheckoutCommand.Stage.OURS);
          resolved.add(c);
        } else {
          manual.add(c);
        }
      }
      return new Merge(
          p.backupBranch(),
          start.name(),
          p.upgradeBranch(),
          conflicts,
          differences.isEmpty(),
          differences,
          resolved,
          manual);
    }
  }

  /**
   * {@code git checkout --theirs|--ours path && git add path}, or {@code git rm} if that side
   * deleted it.
   */
  private static void take(
      Git git, String path, int[] stages, int stage, CheckoutCommand.Stage side)
      throws GitAPIException {
    if (stages != null && stages[stage] == 1) {
      git.checkout().setStage(side).addPath(path).call();
      git.add().addFilepattern(path).call();
    } else {
      git.rm().addFilepattern(path).call();
    }
  }

  static List<String> unmerged(Repository repo) throws IOException {
    return List.copyOf(new TreeSet<>(stages(repo).keySet()));
  }

  /** Unmerged paths and which stages (1 base, 2 ours, 3 theirs) the index holds for each. */
  private static Map<String, int[]> stages(Repository repo) throws IOException {
    Map<String, int[]> stages = new LinkedHashMap<>();
    DirCache index = repo.readDirCache();
    for (int i = 0; i < index.getEntryCount(); i++) {
      DirCacheEntry entry = index.getEntry(i);
      if (entry.getStage() != DirCacheEntry.STAGE_0) {
        stages.computeIfAbsent(entry.getPathString(), k -> new int[4])[entry.getStage()] = 1;
      }
    }
    return stages;
  }

  // ---------------------------------------------------------------------------------- manual

  ManualCheck checkResolved(Preflight p, Merge merge) throws IOException {
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      if (!(Constants.R_HEADS + p.upgradeBranch()).equals(repo.getFullBranch())) {
        return new ManualCheck(
            false,
            List.of(
                p.workDir()
                    + " is on "
                    + repo.getFullBranch()
                    + ", not on "
                    + p.upgradeBranch()
                    + ": check the upgrade branch out again with the merge in progress, or push"
                    + " the finished merge to it on origin"));
      }
      Optional<String> pushed = adoptPushedMerge(git, p, merge);
      if (pushed.isPresent()) {
        return new ManualCheck(false, List.of(pushed.get()));
      }
      Set<String> paths = new TreeSet<>(unmerged(repo));
      merge.manual().forEach(c -> paths.add(c.path()));
      Set<String> stillUnmerged = new TreeSet<>(unmerged(repo));
      List<String> unresolved = new ArrayList<>();
      for (String path : paths) {
        List<String> why = new ArrayList<>();
        Path file = Path.of(p.workDir()).resolve(path);
        if (Files.isRegularFile(file)) {
          String text = Files.readString(file, StandardCharsets.ISO_8859_1);
          var start = MARKER_START.matcher(text);
          if (start.find() || MARKER_END.matcher(text).find()) {
            int at = start.find(0) ? start.start() : 0;
            why.add(
                "conflict markers (line " + (text.substring(0, at).split("\n", -1).length) + ")");
          }
        }
        if (stillUnmerged.contains(path)) {
          why.add("unmerged in the index (git add it once resolved)");
        }
        if (!why.isEmpty()) {
          unresolved.add(path + ": " + String.join(", ", why));
        }
      }
      return new ManualCheck(unresolved.isEmpty(), unresolved);
    }
  }

  /**
   * If someone finished the merge elsewhere and pushed it to the upgrade branch on origin, the
   * working copy takes it over (the local merge in progress is dropped). Anything else pushed there
   * is refused, naming the commit.
   */
  private static Optional<String> adoptPushedMerge(Git git, Preflight p, Merge merge)
      throws IOException {
    Repository repo = git.getRepository();
    String upgradeRef = Constants.R_HEADS + p.upgradeBranch();
    Ref remote;
    try {
      remote = ForkRepository.remoteRefs(git).get(upgradeRef);
    } catch (GitAPIException e) {
      throw new IOException("cannot read origin's " + p.upgradeBranch() + ": " + e.getMessage(), e);
    }
    ObjectId backup = ObjectId.fromString(merge.backupCommit());
    ObjectId local = repo.resolve(Constants.HEAD);
    if (remote == null
        || remote.getObjectId().equals(backup)
        || remote.getObjectId().equals(local)) {
      return Optional.empty();
    }
    String tracking = Constants.R_REMOTES + ORIGIN + "/" + p.upgradeBranch();
    try {
      git.fetch()
          .setRemote(ORIGIN)
          .setRefSpecs(new RefSpec("+" + upgradeRef + ":" + tracking))
          .call();
    } catch (GitAPIException e) {
      throw new IOException(
          "cannot fetch origin's " + p.upgradeBranch() + ": " + e.getMessage(), e);
    }
    ObjectId pushed = remote.getObjectId();
    if (!reachesMerge(repo, pushed, backup, ObjectId.fromString(p.targetCommit()))) {
      return Optional.of(
          p.upgradeBranch()
              + " on origin: "
              + pushed.abbreviate(10).name()
              + " does not build on a merge of "
              + p.targetVersion()
              + " into "
              + p.releaseBranch()
              + " (a commit with parents "
              + backup.abbreviate(10).name()
              + " and "
              + ObjectId.fromString(p.targetCommit()).abbreviate(10).name()
              + ")");
    }
    try {
      git.reset().setMode(ResetCommand.ResetType.HARD).setRef(pushed.name()).call();
    } catch (GitAPIException e) {
      throw new IOException("cannot take over " + pushed.name() + ": " + e.getMessage(), e);
    }
    return Optional.empty();
  }

  // ---------------------------------------------------------------------------------- tests

  Tests test(Preflight p, String rulesFile) throws IOException, InterruptedException {
    UpgradeRules rules;
    String baselineText;
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      ObjectId head = ObjectId.fromString(p.releaseHead());
      rules = ForkRepository.rules(repo, head, rulesFile, p.releaseBranch());
      baselineText =
          ForkRepository.read(repo, head, BASELINES + p.baseVersion() + ".json").orElse(null);
    }
    Path log = Path.of(p.evidenceDir()).resolve("tests.log");
    TestCommands.Run run =
        commands.run(Path.of(p.workDir()), rules.install(), rules.test(), rules.testTimeout(), log);
    TestResults.Outcome outcome =
        commands.results(Path.of(p.workDir()), rules.testReports(), run, log);
    List<String> baseline =
        baselineText == null
            ? List.of()
            : Baselines.failures(baselineText, BASELINES + p.baseVersion() + ".json");
    TestResults.Comparison cmp = TestResults.compare(outcome.failures(), baseline);
    return new Tests(
        outcome.passed(),
        outcome.failed(),
        outcome.skipped(),
        outcome.source(),
        run.testExit(),
        outcome.failures().stream().limit(MAX_LISTED).toList(),
        p.baseVersion(),
        baselineText != null,
        cmp.preExisting(),
        cmp.regressions(),
        cmp.fixed(),
        log.toString());
  }

  // ---------------------------------------------------------------------------------- finish

  Finish finish(
      String runId,
      Preflight p,
      MergeSimulator.Report simulation,
      Merge merge,
      Tests tests,
      String acceptedBy,
      String acceptReason)
      throws IOException, GitAPIException {
    try (Git git = Git.open(Path.of(p.workDir()).toFile())) {
      Repository repo = git.getRepository();
      ObjectId backup = ObjectId.fromString(merge.backupCommit());
      String tagRef = Constants.R_TAGS + p.newBaseTag();
      Optional<ObjectId> tagged = ForkRepository.commit(repo, tagRef);
      ObjectId merged;
      if (tagged.isPresent()) {
        merged = tagged.get(); // a redelivered job: committed and tagged before, push again
      } else {
        boolean merging =
            repo.getRepositoryState() == RepositoryState.MERGING_RESOLVED
                || repo.getRepositoryState() == RepositoryState.MERGING;
        ObjectId target = ObjectId.fromString(p.targetCommit());
        String baselineFile = BASELINES + p.targetVersion() + ".json";
        ObjectId head = repo.resolve(Constants.HEAD);
        boolean recorded = false;
        if (!merging) {
          // The merge was committed before: by this step (a redelivered job) or by a person who
          // pushed it to the upgrade branch (taken over by the check).
          if (!reachesMerge(repo, head, backup, target)) {
            throw new StepFailure(
                p.upgradeBranch()
                    + " is at "
                    + head.abbreviate(10).name()
                    + ", which does not"
                    + " build on the merge of "
                    + p.targetVersion()
                    + " into "
                    + p.releaseBranch());
          }
          recorded = ForkRepository.read(repo, head, baselineFile).isPresent();
        } else if (!unmerged(repo).isEmpty()) {
          throw new StepFailure("unmerged files remain: " + unmerged(repo));
        }
        if (!recorded) {
          Path dir = Path.of(p.workDir());
          Files.createDirectories(dir.resolve(BASELINES));
          Files.writeString(
              dir.resolve(baselineFile),
              Baselines.write(p.targetVersion(), tests, runId, clock.instant()));
          Path changes = dir.resolve(CUSTOM_CHANGES);
          String entry =
              UpgradeNotes.customChangesEntry(
                  LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC),
                  runId,
                  p,
                  simulation,
                  merge,
                  tests,
                  acceptedBy,
                  acceptReason);
          Files.writeString(
              changes,
              (Files.exists(changes) ? Files.readString(changes) : "# Custom changes\n") + entry);
          git.add().addFilepattern(baselineFile).addFilepattern(CUSTOM_CHANGES).call();
          PersonIdent who = committer(repo);
          String message =
              UpgradeNotes.commitMessage(p, simulation, merge, tests, acceptedBy, acceptReason);
          git.commit()
              .setMessage(
                  merging
                      ? message
                      : "Record the upgrade to "
                          + p.targetVersion()
                          + ": test baseline and custom changes\n\n"
                          + message)
              .setAuthor(who)
              .setCommitter(who)
              .call();
        }
        merged = ForkRepository.commit(repo, Constants.R_HEADS + p.upgradeBranch()).orElseThrow();
        git.checkout().setName(p.releaseBranch()).call();
        MergeResult ff =
            git.merge().include(merged).setFastForward(MergeCommand.FastForwardMode.FF_ONLY).call();
        if (!ff.getMergeStatus().isSuccessful()) {
          throw new StepFailure(
              "fast-forward of "
                  + p.releaseBranch()
                  + " to "
                  + p.upgradeBranch()
                  + " failed: "
                  + ff.getMergeStatus());
        }
        git.tag()
            .setName(p.newBaseTag())
            .setAnnotated(true)
            .setMessage("Base upstream version " + p.targetVersion())
            .setObjectId(new RevWalk(repo).parseCommit(merged))
            .setTagger(committer(repo))
            .call();
      }
      List<RefSpec> refs =
          List.of(
              new RefSpec(
                  Constants.R_HEADS
                      + p.releaseBranch()
                      + ":"
                      + Constants.R_HEADS
                      + p.releaseBranch()),
              new RefSpec(tagRef + ":" + tagRef),
              new RefSpec(
                  Constants.R_HEADS
                      + p.backupBranch()
                      + ":"
                      + Constants.R_HEADS
                      + p.backupBranch()),
              new RefSpec(
                  Constants.R_HEADS
                      + p.upgradeBranch()
                      + ":"
                      + Constants.R_HEADS
                      + p.upgradeBranch()));
      ForkRepository.push(git, refs);
      return new Finish(
          merged.name(),
          p.newBaseTag(),
          p.releaseBranch(),
          refs.stream().map(RefSpec::getDestination).toList());
    }
  }

  /**
   * Whether {@code commit} is the merge of {@code theirs} into {@code ours}, or builds on it
   * (follow-up commits on the upgrade branch), following first parents.
   */
  static boolean reachesMerge(Repository repo, ObjectId commit, ObjectId ours, ObjectId theirs)
      throws IOException {
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit c = walk.parseCommit(commit);
      for (int steps = 0; steps < 1000; steps++) {
        if (c.getParentCount() == 2
            && c.getParent(0).getId().equals(ours)
            && c.getParent(1).getId().equals(theirs)) {
          return true;
        }
        if (c.getId().equals(ours) || c.getParentCount() == 0) {
          return false;
        }
        c = walk.parseCommit(c.getParent(0));
      }
      return false;
    }
  }

  private static PersonIdent committer(Repository repo) {
    String name = repo.getConfig().getString("user", null, "name");
    String email = repo.getConfig().getString("user", null, "email");
    return new PersonIdent(
        name == null ? "Upshift" : name, email == null ? "upshift@localhost" : email);
  }

  // ---------------------------------------------------------------------------------- helpers

  private Path evidenceDir(String runId) throws IOException {
    Path dir = workRoot.resolve(runId == null ? "no-run" : runId);
    Files.createDirectories(dir);
    return dir;
  }

  private static ForkNotReadyException notReady(String message) {
    return new ForkNotReadyException(ForkNotReadyException.NOT_READY, message);
  }
}
