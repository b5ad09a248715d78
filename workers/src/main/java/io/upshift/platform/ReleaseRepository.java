package io.upshift.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;

/**
 * A platform's deployment repository (one tag per release), read through a bare mirror that Upshift
 * keeps under its data directory. Reading releases never touches the platform's working directory.
 */
public class ReleaseRepository implements AutoCloseable {

  private static final List<RefSpec> MIRROR =
      List.of(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"));

  /**
   * Seconds a fetch may wait on the remote (connect and each read) before it fails: an unreachable
   * repository fails a plan or a start request with a message instead of hanging it.
   */
  static final int TRANSPORT_TIMEOUT_SECONDS = 60;

  /** One fetch at a time per mirror: concurrent fetches into one bare repository race on locks. */
  private static final ConcurrentMap<Path, Object> FETCHING = new ConcurrentHashMap<>();

  private final String url;
  private final Git mirror;
  private final TagPattern tags;
  private final DescriptorFolder descriptors;

  private ReleaseRepository(String url, Git mirror, TagPattern tags, DescriptorFolder descriptors) {
    this.url = url;
    this.mirror = mirror;
    this.tags = tags;
    this.descriptors = descriptors;
  }

  /**
   * Opens the mirror of a registered platform's repository: its tags read with the registration's
   * {@code tagPattern}, its descriptors taken from the registration's {@code descriptors} folder
   * first, else from each release tag.
   */
  public static ReleaseRepository open(
      String platform, PlatformRegistry.Registration registration, Path cacheDir) {
    TagPattern tags = registration.tags();
    DescriptorFolder folder = DescriptorFolder.of(registration, platform).orElse(null);
    ReleaseRepository plain = open(registration.repository(), cacheDir);
    return new ReleaseRepository(plain.url, plain.mirror, tags, folder);
  }

  /** Opens (cloning on first use) the mirror of {@code url} in {@code cacheDir} and fetches. */
  public static ReleaseRepository open(String url, Path cacheDir) {
    Object guard = FETCHING.computeIfAbsent(cacheDir.toAbsolutePath().normalize(), p -> p);
    synchronized (guard) {
      return openAndFetch(url, cacheDir);
    }
  }

  private static ReleaseRepository openAndFetch(String url, Path cacheDir) {
    Git git = null;
    try {
      if (Files.isDirectory(cacheDir.resolve("objects"))) {
        git = Git.open(cacheDir.toFile());
      } else {
        Files.createDirectories(cacheDir);
        git = Git.init().setBare(true).setDirectory(cacheDir.toFile()).call();
      }
      // Forced: a moved tag must be seen (the plan hash then changes), never silently kept.
      git.fetch()
          .setRemote(url)
          .setRefSpecs(MIRROR)
          .setRemoveDeletedRefs(true)
          .setTimeout(TRANSPORT_TIMEOUT_SECONDS)
          .call();
      return new ReleaseRepository(url, git, TagPattern.of(null), null);
    } catch (IOException | GitAPIException e) {
      if (git != null) {
        git.close();
      }
      throw new DescriptorException(
          "Cannot read the platform repository " + url + ": " + e.getMessage(), e);
    }
  }

  public String url() {
    return url;
  }

  /** The tag naming of this platform's releases. */
  public TagPattern tagPattern() {
    return tags;
  }

  /** Every tag that names a version under the tag pattern, oldest version first. */
  public List<Release> releases() {
    try {
      List<Release> releases = new ArrayList<>();
      Repository repo = mirror.getRepository();
      for (Ref tag : repo.getRefDatabase().getRefsByPrefix(Constants.R_TAGS)) {
        String name = tag.getName().substring(Constants.R_TAGS.length());
        Optional<Version> version = tags.version(name);
        if (version.isPresent()) {
          releases.add(new Release(version.get(), name, commitOf(tag).name()));
        }
      }
      releases.sort(Comparator.comparing(Release::version));
      return releases;
    } catch (IOException e) {
      throw new DescriptorException("Cannot list the tags of " + url + ": " + e.getMessage(), e);
    }
  }

  public Optional<Release> release(Version version) {
    return releases().stream().filter(r -> r.version().equals(version)).findFirst();
  }

  /**
   * The release with this tag (e.g. a hop of a plan) or, failing that, this version: plans name
   * hops by tag, and a tag need not be a version (e.g. {@code release-1.2.0}).
   */
  public Optional<Release> release(String tagOrVersion) {
    List<Release> all = releases();
    Optional<Release> byTag = all.stream().filter(r -> r.tag().equals(tagOrVersion)).findFirst();
    if (byTag.isPresent() || !Version.isVersion(tagOrVersion)) {
      return byTag;
    }
    Version version = Version.parse(tagOrVersion);
    return all.stream().filter(r -> r.version().equals(version)).findFirst();
  }

  /** A file's text at a release, or empty when the release does not have it. */
  public Optional<String> read(Release release, String path) {
    return Optional.ofNullable(files(release, path).get(path))
        .map(bytes -> new String(bytes, StandardCharsets.UTF_8));
  }

  /** Files at or under {@code path} (a file or a folder) at a release, by path, in tree order. */
  public Map<String, byte[]> files(Release release, String path) {
    Repository repo = mirror.getRepository();
    try (RevWalk walk = new RevWalk(repo);
        TreeWalk tree = new TreeWalk(repo)) {
      RevCommit commit = walk.parseCommit(ObjectId.fromString(release.commit()));
      tree.addTree(commit.getTree());
      tree.setRecursive(true);
      tree.setFilter(PathFilter.create(path));
      Map<String, byte[]> files = new LinkedHashMap<>();
      while (tree.next()) {
        files.put(tree.getPathString(), repo.open(tree.getObjectId(0)).getBytes());
      }
      return files;
    } catch (IOException e) {
      throw new DescriptorException(
          "Cannot read " + path + " at " + release.tag() + " of " + url + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the files under {@code folder} at a release into {@code target} (created), paths
   * relative to {@code folder}; e.g. a release's migrations for Flyway.
   */
  public void extract(Release release, String folder, Path target) throws IOException {
    Files.createDirectories(target);
    for (Map.Entry<String, byte[]> file : files(release, folder).entrySet()) {
      Path out =
          target
              .resolve(file.getKey().substring(folder.length()).replaceFirst("^/", ""))
              .normalize();
      if (!out.startsWith(target)) {
        throw new DescriptorException(
            file.getKey() + " at " + release.tag() + " escapes " + folder);
      }
      Files.createDirectories(out.getParent());
      Files.write(out, file.getValue());
    }
  }

  /**
   * The release's descriptor: from the registered descriptor folder when it has one for the
   * version, else {@code upshift.yaml} in the release tag.
   */
  public PlatformDescriptor descriptor(Release release) {
    if (descriptors != null) {
      Optional<PlatformDescriptor> operators = descriptors.read(release.version());
      if (operators.isPresent()) {
        return operators.get();
      }
    }
    String source = "upshift.yaml at " + release.tag();
    String text =
        read(release, "upshift.yaml")
            .orElseThrow(
                () ->
                    new DescriptorException(
                        source
                            + ": the release has no upshift.yaml"
                            + (descriptors == null
                                ? ""
                                : " and the descriptor folder "
                                    + descriptors.path()
                                    + " has neither "
                                    + release.version()
                                    + "/upshift.yaml nor "
                                    + release.version()
                                    + ".yaml")));
    PlatformDescriptor descriptor = DescriptorReader.read(text, source);
    if (!descriptor.version().equals(release.version())) {
      throw new DescriptorException(
          source
              + ": platform.version is "
              + descriptor.platform().version()
              + " but the tag is "
              + release.tag());
    }
    return descriptor;
  }

  /**
   * Makes {@code directory} a checkout of the release (cloning it on first use, keeping untracked
   * files such as .env): what a deployment repository looks like on the platform's host.
   */
  public void checkout(Release release, Path directory) {
    try {
      Git work;
      if (Files.isDirectory(directory.resolve(".git"))) {
        work = Git.open(directory.toFile());
      } else {
        Files.createDirectories(directory);
        work = Git.init().setDirectory(directory.toFile()).call();
      }
      try (work) {
        work.fetch()
            .setRemote(mirror.getRepository().getDirectory().toURI().toString())
            .setRefSpecs(new RefSpec("+refs/tags/*:refs/tags/*"))
            .setTimeout(TRANSPORT_TIMEOUT_SECONDS)
            .call();
        work.checkout().setName(release.commit()).setForced(true).call();
      }
    } catch (IOException | GitAPIException e) {
      throw new DescriptorException(
          "Cannot check out " + release.tag() + " into " + directory + ": " + e.getMessage(), e);
    }
  }

  /** Where the release's descriptor is read from, for messages. */
  public String descriptorSource(Release release) {
    if (descriptors != null) {
      Optional<Path> file = descriptors.file(release.version());
      if (file.isPresent()) {
        return file.get().toString();
      }
    }
    return "upshift.yaml at " + release.tag();
  }

  /**
   * Entries of the registered descriptor folder that name no version, e.g. {@code v1.2.0/} or
   * {@code 1.2.yaml}: each would be ignored silently, so the plan refuses them.
   */
  public List<String> strayDescriptors() {
    return descriptors == null ? List.of() : descriptors.strayEntries();
  }

  private ObjectId commitOf(Ref tag) throws IOException {
    Ref peeled = mirror.getRepository().getRefDatabase().peel(tag);
    return peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : peeled.getObjectId();
  }

  @Override
  public void close() {
    mirror.close();
  }
}
