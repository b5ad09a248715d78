package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import io.upshift.platform.PlatformDescriptor;
import io.upshift.run.StepFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Saves and restores a platform's file volumes (named volumes of its compose project and
 * bind-mounted directories) through a short-lived helper container of an image already on the
 * machine (the platform's own database image): nothing is pulled. The archive is Docker's own (the
 * container archive API, tar), so the helper image needs no tar; clearing a volume runs {@code find
 * -delete} in it. Helper containers carry the label {@value #LABEL} and are always removed.
 */
public final class VolumeArchives {

  /** Label on every helper container (value: the platform). */
  public static final String LABEL = "io.upshift.helper";

  /** Where the helper container mounts the volume; archive entries start with its name. */
  static final String MOUNT = "/upshift-volume";

  private VolumeArchives() {}

  /** Where a volume's files live, as Docker mounts them. */
  public record Source(String label, String bindSource, boolean named) {

    @Override
    public String toString() {
      return named ? "volume " + bindSource : "directory " + bindSource;
    }
  }

  /**
   * One file, directory or link of a volume: its path, type, size and (files) SHA-256; links carry
   * their target.
   */
  /**
   * One path of a volume. {@code owner} ({@code uid:gid}) and {@code mode} are part of it: a
   * restore that gave the files to another user would leave the platform unable to write them.
   */
  public record Entry(
      String path, char type, long size, String sha256, String link, String owner, int mode) {}

  /**
   * The volume a descriptor entry names: a named volume of the compose project (by compose's
   * labels, else {@code <project>_<name>}) or a directory relative to the platform's working
   * directory.
   */
  public static Source resolve(
      DockerClient docker, String project, Path workDir, PlatformDescriptor.Volume volume) {
    if (volume.path() != null) {
      Path dir = workDir.resolve(volume.path()).toAbsolutePath().normalize();
      if (!dir.startsWith(workDir.toAbsolutePath().normalize())) {
        throw new StepFailure(
            "volumes[" + volume.label() + "].path leaves the platform directory: " + dir);
      }
      return new Source(volume.label(), dir.toString(), false);
    }
    List<InspectVolumeResponse> labelled =
        docker
            .listVolumesCmd()
            .withFilter(
                "label",
                List.of(
                    "com.docker.compose.project=" + project,
                    "com.docker.compose.volume=" + volume.name()))
            .exec()
            .getVolumes();
    if (labelled != null && !labelled.isEmpty()) {
      return new Source(volume.label(), labelled.get(0).getName(), true);
    }
    for (String candidate : List.of(project + "_" + volume.name(), volume.name())) {
      try {
        docker.inspectVolumeCmd(candidate).exec();
        return new Source(volume.label(), candidate, true);
      } catch (NotFoundException e) {
        // next candidate
      }
    }
    throw new StepFailure(
        "volumes["
            + volume.name()
            + "]: no Docker volume of compose project '"
            + project
            + "' is named '"
            + volume.name()
            + "' (looked for the compose labels and "
            + project
            + "_"
            + volume.name()
            + "). Declare volumes the compose file has, or mark it policy: skip with a reason.");
  }

  /**
   * Streams the volume's content as a tar archive into {@code target}, with its SHA-256 computed on
   * the fly. Returns the manifest entry.
   */
  public static BackupManifest.BackupFile save(
      DockerClient docker, String image, String platform, Source source, Path dir, String name)
      throws IOException {
    Path target = dir.resolve(name);
    Files.createDirectories(target.getParent());
    MessageDigest digest = sha256();
    String helper = create(docker, image, platform, source, true, List.of("true"));
    try (InputStream in = docker.copyArchiveFromContainerCmd(helper, MOUNT).exec();
        OutputStream out = new DigestOutputStream(Files.newOutputStream(target), digest)) {
      in.transferTo(out);
    } finally {
      remove(docker, helper);
    }
    return new BackupManifest.BackupFile(
        name,
        "volume",
        Files.size(target),
        HexFormat.of().formatHex(digest.digest()),
        source.label());
  }

  /**
   * Replaces the volume's content with the archive: clears the volume, extracts the archive with
   * its owners and modes, and checks that the volume then lists exactly the archive's entries.
   */
  public static void restore(
      DockerClient docker, String image, String platform, Source source, Path archive)
      throws IOException, InterruptedException {
    Map<String, Entry> expected;
    try (InputStream in = Files.newInputStream(archive)) {
      expected = list(in);
    }
    runHelper(
        docker,
        image,
        platform,
        source,
        List.of("find", MOUNT, "-mindepth", "1", "-delete"),
        "clearing " + source);
    String helper = create(docker, image, platform, source, false, List.of("true"));
    try (InputStream in = Files.newInputStream(archive)) {
      docker
          .copyArchiveToContainerCmd(helper)
          .withTarInputStream(in)
          .withRemotePath("/")
          // false: keep each entry's uid/gid from the archive. true would give every file to the
          // helper container's user (root), and the platform could no longer write its volume.
          .withCopyUIDGID(false)
          .exec();
    } finally {
      remove(docker, helper);
    }
    Map<String, Entry> actual = listing(docker, image, platform, source);
    if (!actual.equals(expected)) {
      throw new StepFailure(
          "After restoring "
              + source
              + " from "
              + archive.getFileName()
              + " its content differs from the archive: "
              + difference(expected, actual));
    }
  }

  /** The volume's current content, read through a helper container. */
  public static Map<String, Entry> listing(
      DockerClient docker, String image, String platform, Source source) throws IOException {
    String helper = create(docker, image, platform, source, true, List.of("true"));
    try (InputStream in = docker.copyArchiveFromContainerCmd(helper, MOUNT).exec()) {
      return list(in);
    } finally {
      remove(docker, helper);
    }
  }

  /** Bytes the volume's files take ({@code du -sb} in a helper container), for the disk check. */
  public static long size(DockerClient docker, String image, String platform, Source source)
      throws InterruptedException {
    String out =
        runHelper(docker, image, platform, source, List.of("du", "-sb", MOUNT), "sizing " + source);
    String first = out.strip().split("\\s+")[0];
    try {
      return Long.parseLong(first);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("du in the helper container answered '" + out + "'", e);
    }
  }

  /**
   * The entries of a tar archive, by path relative to the volume; the volume's own directory is
   * {@code .} (its owner and mode matter as much as its files').
   */
  public static Map<String, Entry> list(InputStream archive) throws IOException {
    Map<String, Entry> entries = new TreeMap<>();
    String root = MOUNT.substring(1);
    try (TarArchiveInputStream tar = new TarArchiveInputStream(archive)) {
      for (TarArchiveEntry e; (e = tar.getNextTarEntry()) != null; ) {
        String name = e.getName();
        if (name.endsWith("/")) {
          name = name.substring(0, name.length() - 1);
        }
        String path =
            name.equals(root)
                ? "."
                : name.startsWith(root + "/") ? name.substring(root.length() + 1) : name;
        char type = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isFile() ? 'f' : 'o';
        String sha = null;
        if (e.isFile()) {
          MessageDigest digest = sha256();
          byte[] buffer = new byte[64 * 1024];
          for (int n; (n = tar.read(buffer)) > 0; ) {
            digest.update(buffer, 0, n);
          }
          sha = HexFormat.of().formatHex(digest.digest());
        }
        entries.put(
            path,
            new Entry(
                path,
                type,
                e.isFile() ? e.getSize() : 0,
                sha,
                e.isSymbolicLink() ? e.getLinkName() : null,
                e.getLongUserId() + ":" + e.getLongGroupId(),
                e.getMode() & 07777));
      }
    }
    return entries;
  }

  /**
   * What {@code actual} holds beyond or apart from {@code expected}: added, changed and removed
   * paths (files only), each list bounded.
   */
  public static Difference compare(Map<String, Entry> expected, Map<String, Entry> actual) {
    List<String> added =
        actual.keySet().stream()
            .filter(p -> !expected.containsKey(p) && actual.get(p).type() != 'd')
            .toList();
    List<String> changed =
        actual.keySet().stream()
            .filter(p -> expected.containsKey(p) && !expected.get(p).equals(actual.get(p)))
            .toList();
    List<String> removed =
        expected.keySet().stream()
            .filter(p -> !actual.containsKey(p) && expected.get(p).type() != 'd')
            .toList();
    return new Difference(added, changed, removed);
  }

  /** Paths one listing has that another lacks, or holds differently. */
  public record Difference(List<String> added, List<String> changed, List<String> removed) {
    public boolean isEmpty() {
      return added.isEmpty() && changed.isEmpty() && removed.isEmpty();
    }
  }

  private static String difference(Map<String, Entry> expected, Map<String, Entry> actual) {
    Difference d = compare(expected, actual);
    return "missing "
        + head(d.removed())
        + ", extra "
        + head(d.added())
        + ", different "
        + head(d.changed());
  }

  private static List<String> head(List<String> list) {
    return list.subList(0, Math.min(10, list.size()));
  }

  private static String create(
      DockerClient docker,
      String image,
      String platform,
      Source source,
      boolean readOnly,
      List<String> command) {
    return docker
        .createContainerCmd(image)
        .withLabels(Map.of(LABEL, platform))
        .withEntrypoint(command.get(0))
        .withCmd(command.subList(1, command.size()))
        .withUser("0")
        .withNetworkDisabled(true)
        .withHostConfig(
            HostConfig.newHostConfig()
                .withBinds(
                    new Bind(
                        source.bindSource(),
                        new Volume(MOUNT),
                        readOnly
                            ? com.github.dockerjava.api.model.AccessMode.ro
                            : com.github.dockerjava.api.model.AccessMode.rw)))
        .exec()
        .getId();
  }

  /** Runs a fixed command in a helper container and returns its output; fails on exit != 0. */
  private static String runHelper(
      DockerClient docker,
      String image,
      String platform,
      Source source,
      List<String> command,
      String what)
      throws InterruptedException {
    String helper = create(docker, image, platform, source, false, command);
    try {
      docker.startContainerCmd(helper).exec();
      Integer exit = docker.waitContainerCmd(helper).start().awaitStatusCode(10, TimeUnit.MINUTES);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      docker
          .logContainerCmd(helper)
          .withStdOut(true)
          .withStdErr(true)
          .exec(
              new com.github.dockerjava.api.async.ResultCallback.Adapter<
                  com.github.dockerjava.api.model.Frame>() {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame frame) {
                  out.writeBytes(frame.getPayload());
                }
              })
          .awaitCompletion(1, TimeUnit.MINUTES);
      String text = out.toString(StandardCharsets.UTF_8);
      if (exit == null || exit != 0) {
        throw new IllegalStateException(
            what
                + " failed (exit "
                + exit
                + "): "
                + text.substring(0, Math.min(2000, text.length())));
      }
      return text;
    } finally {
      remove(docker, helper);
    }
  }

  private static void remove(DockerClient docker, String container) {
    try {
      docker.removeContainerCmd(container).withForce(true).exec();
    } catch (NotFoundException e) {
      // already gone
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
