package io.upshift.fork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TagBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.URIish;

/**
 * Real git repositories for the fork-upgrade tests, written with JGit's object inserter (no working
 * tree, no process per commit), so a few hundred commits take well under a second.
 *
 * <p>The upstream ({@code upstream.git}, bare) has releases v1.0, v1.1 (+150 commits) and v1.2
 * (+100 commits; one more failing test). A fork clone ({@link #fork}) branches {@code acme-release}
 * from v1.0, tagged {@code acme-base-v1.0}, with 10 custom commits: some in files upstream also
 * changes (designed conflicts for each rule), one cherry-pick upstream later took verbatim (no
 * conflict), one upstream took in a different form (conflict, accept-upstream).
 */
final class ForkFixtures {

  static final String BRANCH = "acme-release";
  static final PersonIdent UPSTREAM = new PersonIdent("Upstream Dev", "dev@upstream.test");
  static final PersonIdent FORK = new PersonIdent("Fork Dev", "dev@fork.test");

  /** The conflicts merging v1.1 (or v1.2) into the fork leaves, by the fork's rules. */
  static final List<String> ACCEPT_UPSTREAM =
      List.of("docs/guide.md", "sky/adaptors/seeweb.py", "sky/setup_files/dependencies.py");

  static final List<String> KEEP_OURS = List.of(".github/workflows/ci.yml");
  static final List<String> MANUAL =
      List.of("sky/catalog/catalog_url_config.py", "sky/clouds/cudo.py");

  static final String RULES =
      """
      # How this fork resolves upstream merge conflicts (seed 000's decision tree as data).
      tagPrefix: acme
      install:
        - [sh, ci/install.sh]
      test: [sh, ci/run-tests.sh]
      testTimeout: PT2M
      testReports: ["build/test-results/*.xml"]
      rules:
        - path: sky/adaptors/seeweb.py
          decision: accept-upstream
          reason: cherry-picked; upstream has the official version
        - path: .github/**
          decision: keep-ours
          reason: custom infrastructure
        - path: fork/**
          decision: keep-ours
          reason: our docs and data
        - path: docs/**
          decision: accept-upstream
          reason: upstream docs
        - path: sky/setup_files/dependencies.py
          decision: accept-upstream
          reason: upstream tracks all dependencies
        - path: sky/catalog/**
          decision: manual
          reason: custom catalog URLs; merge our feature with upstream fixes
      """;

  /** Writes JUnit XML for ten tests, failing those listed in ci/failing.txt. */
  static final String RUN_TESTS =
      """
      #!/bin/sh
      mkdir -p build/test-results
      out=build/test-results/TEST-suite.xml
      echo '<testsuite name="suite">' > $out
      for i in 01 02 03 04 05 06 07 08 09 10; do
        if grep -qx "test_$i" ci/failing.txt; then
          echo "<testcase classname=\\"suite\\" name=\\"test_$i\\"><failure message=\\"boom\\"/></testcase>" >> $out
          echo "FAIL suite.test_$i"
        else
          echo "<testcase classname=\\"suite\\" name=\\"test_$i\\"/>" >> $out
        fi
      done
      echo '</testsuite>' >> $out
      """;

  final Path root;
  final Path upstream;
  final Map<String, ObjectId> tags = new TreeMap<>();
  private final TreeMap<String, String> files = new TreeMap<>();
  private final Random random = new Random(15);
  private long time = 1_700_000_000L;
  private ObjectId head;

  private ForkFixtures(Path root) {
    this.root = root;
    this.upstream = root.resolve("upstream.git");
  }

  /** The upstream with its three releases (and {@code genFiles} generated files). */
  static ForkFixtures create(Path root, int genFiles, int commitsToV11, int commitsToV12)
      throws IOException, GitAPIException {
    ForkFixtures f = new ForkFixtures(root);
    try (Git git = Git.init().setBare(true).setDirectory(f.upstream.toFile()).call()) {
      Repository repo = git.getRepository();
      f.files.put("README.md", "# Sky\n");
      f.files.put(".gitignore", "build/\n");
      f.files.put(
          "ci/install.sh", "#!/bin/sh\nmkdir -p build && echo installed > build/installed\n");
      f.files.put("ci/run-tests.sh", RUN_TESTS);
      f.files.put("ci/failing.txt", "test_03\n");
      f.files.put(".github/workflows/ci.yml", lines("ci", 10));
      f.files.put("docs/guide.md", lines("guide", 10));
      f.files.put("sky/catalog/catalog_url_config.py", lines("catalog", 10));
      f.files.put("sky/clouds/runpod.py", lines("runpod", 20));
      f.files.put("sky/clouds/cudo.py", lines("cudo", 10));
      f.files.put("sky/setup_files/dependencies.py", lines("deps", 10));
      for (int i = 0; i < genFiles; i++) {
        f.files.put(gen(i), lines("gen" + i, 20));
      }
      f.commit(repo, "Initial import", UPSTREAM);
      f.tag(repo, "v1.0");
      int designed = 0;
      for (int i = 0; i < commitsToV11; i++) {
        f.randomEdit(genFiles);
        if (i % (commitsToV11 / 7) == 0 && designed < 7) {
          f.designedUpstreamChange(designed++);
        }
        f.commit(repo, "Upstream change " + i, UPSTREAM);
      }
      f.tag(repo, "v1.1");
      for (int i = 0; i < commitsToV12; i++) {
        f.randomEdit(genFiles);
        if (i == commitsToV12 / 2) {
          f.files.put("ci/failing.txt", "test_03\ntest_07\n");
        }
        f.commit(repo, "Upstream change " + (commitsToV11 + i), UPSTREAM);
      }
      f.tag(repo, "v1.2");
    }
    return f;
  }

  private void designedUpstreamChange(int which) {
    switch (which) {
      case 0 -> edit(".github/workflows/ci.yml", 4, "upstream: run on ubuntu-24.04");
      case 1 -> edit("docs/guide.md", 2, "upstream: new install guide");
      case 2 -> edit("sky/catalog/catalog_url_config.py", 3, "URL = upstream_default()");
      case 3 -> edit("sky/clouds/runpod.py", 15, "upstream: fix region list");
      case 4 -> edit("sky/clouds/cudo.py", 7, "upstream: python 3.12 typing");
      case 5 -> edit("sky/setup_files/dependencies.py", 5, "requests>=2.32");
      default -> {
        files.put(
            "sky/adaptors/seeweb.py", "# Seeweb adaptor, official upstream version\nAPI = 'v2'\n");
        files.put("sky/provision/seeweb/instance.py", SEEWEB_INSTANCE);
      }
    }
  }

  static final String SEEWEB_INSTANCE = "def run_instances():\n    return 'seeweb'\n";

  /**
   * A working clone of the upstream at v1.0 with the fork's ten custom commits and a bare origin.
   */
  Path fork(String name) throws IOException, GitAPIException {
    Path origin = root.resolve(name + "-origin.git");
    Path work = root.resolve(name);
    try (Git up = Git.open(upstream.toFile());
        Git bare = Git.init().setBare(true).setDirectory(origin.toFile()).call()) {
      // origin starts as the fork's server copy: the upstream history up to v1.0
    }
    try (Git git =
        Git.cloneRepository()
            .setURI(upstream.toUri().toString())
            .setDirectory(work.toFile())
            .setRemote("upstream")
            .setNoTags()
            .setBranch("refs/heads/main")
            .call()) {
      git.checkout()
          .setName(BRANCH)
          .setCreateBranch(true)
          .setStartPoint(tags.get("v1.0").name())
          .call();
      git.tag()
          .setName("acme-base-v1.0")
          .setObjectId(git.getRepository().parseCommit(tags.get("v1.0")))
          .setAnnotated(true)
          .setMessage("Base upstream version v1.0")
          .setTagger(FORK)
          .call();
      custom(
          git,
          "Add the upgrade rules, baseline and change log",
          Map.of(
              "fork/upgrade-rules.yaml",
              RULES,
              "fork/test-baselines/v1.0.json",
              "{\"version\": \"v1.0\", \"failures\": [\"suite.test_03\"]}\n",
              "fork/CUSTOM_CHANGES.md",
              "# Custom changes\n\nOur changes to upstream Sky.\n"));
      custom(
          git,
          "CI: run on our runners",
          Map.of(
              ".github/workflows/ci.yml",
              replaced(".github/workflows/ci.yml", 4, "fork: runs-on self-hosted")));
      custom(
          git,
          "Cherry-pick Seeweb adaptor",
          Map.of("sky/adaptors/seeweb.py", "# Seeweb adaptor, cherry-picked early\nAPI = 'v1'\n"));
      custom(
          git,
          "Cherry-pick Seeweb provisioning",
          Map.of("sky/provision/seeweb/instance.py", SEEWEB_INSTANCE));
      custom(
          git,
          "Custom catalog URLs",
          Map.of(
              "sky/catalog/catalog_url_config.py",
              replaced("sky/catalog/catalog_url_config.py", 3, "URL = os.environ['CATALOG_URL']")));
      custom(
          git,
          "RunPod availability filter",
          Map.of(
              "sky/clouds/runpod.py",
              replaced("sky/clouds/runpod.py", 5, "fork: filter unavailable GPUs")));
      custom(
          git,
          "Guide: our install notes",
          Map.of("docs/guide.md", replaced("docs/guide.md", 2, "fork: install from our index")));
      custom(
          git,
          "Pin dependencies",
          Map.of(
              "sky/setup_files/dependencies.py",
              replaced("sky/setup_files/dependencies.py", 5, "requests==2.31")));
      custom(
          git,
          "Cudo: Python 3.10 compatibility",
          Map.of(
              "sky/clouds/cudo.py", replaced("sky/clouds/cudo.py", 7, "fork: python 3.10 typing")));
      custom(git, "Custom feature", Map.of("src/custom/feature.py", "FEATURE = True\n"));
      git.remoteAdd().setName("origin").setUri(new URIish(origin.toUri().toString())).call();
      git.push()
          .setRemote("origin")
          .setRefSpecs(new RefSpec("refs/heads/" + BRANCH + ":refs/heads/" + BRANCH))
          .call();
      git.push()
          .setRemote("origin")
          .setRefSpecs(new RefSpec("refs/tags/acme-base-v1.0:refs/tags/acme-base-v1.0"))
          .call();
      git.fetch().setRemote("origin").call();
      git.branchDelete().setBranchNames("main").setForce(true).call();
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    return work;
  }

  /** The content a file had at v1.0 with one line replaced (the fork's edits start from v1.0). */
  private String replaced(String path, int line, String text) throws IOException {
    String v10 = ForkRepository.read(repository(), tags.get("v1.0"), path).orElseThrow();
    List<String> l = new ArrayList<>(List.of(v10.split("\n", -1)));
    l.set(line, text);
    return String.join("\n", l);
  }

  private Repository repository;

  Repository repository() throws IOException {
    if (repository == null) {
      repository = Git.open(upstream.toFile()).getRepository();
    }
    return repository;
  }

  private static void custom(Git git, String message, Map<String, String> changes)
      throws IOException, GitAPIException {
    Path dir = git.getRepository().getWorkTree().toPath();
    for (var change : changes.entrySet()) {
      Path file = dir.resolve(change.getKey());
      Files.createDirectories(file.getParent());
      Files.writeString(file, change.getValue(), StandardCharsets.UTF_8);
      git.add().addFilepattern(change.getKey()).call();
    }
    git.commit().setMessage(message).setAuthor(FORK).setCommitter(FORK).call();
  }

  static String gen(int i) {
    return "src/gen/" + (i % 50) + "/file_" + i + ".txt";
  }

  static String lines(String prefix, int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append(prefix).append(" line ").append(i).append('\n');
    }
    return s.toString();
  }

  private void randomEdit(int genFiles) {
    String path = gen(random.nextInt(genFiles));
    edit(path, random.nextInt(20), "edit " + random.nextInt(1_000_000));
  }

  private void edit(String path, int line, String text) {
    List<String> l = new ArrayList<>(List.of(files.get(path).split("\n", -1)));
    l.set(line, text);
    files.put(path, String.join("\n", l));
  }

  private void commit(Repository repo, String message, PersonIdent who) throws IOException {
    try (ObjectInserter inserter = repo.newObjectInserter()) {
      DirCache index = DirCache.newInCore();
      DirCacheBuilder builder = index.builder();
      for (var file : files.entrySet()) {
        DirCacheEntry entry = new DirCacheEntry(file.getKey());
        entry.setFileMode(FileMode.REGULAR_FILE);
        entry.setObjectId(
            inserter.insert(Constants.OBJ_BLOB, file.getValue().getBytes(StandardCharsets.UTF_8)));
        builder.add(entry);
      }
      builder.finish();
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(index.writeTree(inserter));
      if (head != null) {
        commit.setParentId(head);
      }
      PersonIdent at =
          new PersonIdent(
              who, java.time.Instant.ofEpochSecond(time += 60), java.time.ZoneOffset.UTC);
      commit.setAuthor(at);
      commit.setCommitter(at);
      commit.setMessage(message + "\n");
      head = inserter.insert(commit);
      inserter.flush();
      RefUpdate update = repo.updateRef("refs/heads/main");
      update.setNewObjectId(head);
      update.setForceUpdate(true);
      update.update();
    }
  }

  private void tag(Repository repo, String name) throws IOException {
    try (ObjectInserter inserter = repo.newObjectInserter()) {
      TagBuilder tag = new TagBuilder();
      tag.setTag(name);
      tag.setObjectId(head, Constants.OBJ_COMMIT);
      tag.setTagger(UPSTREAM);
      tag.setMessage("Release " + name + "\n");
      ObjectId id = inserter.insert(tag);
      inserter.flush();
      RefUpdate update = repo.updateRef(Constants.R_TAGS + name);
      update.setNewObjectId(id);
      update.update();
      tags.put(name, head);
    }
  }
}
