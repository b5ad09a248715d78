package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where descriptors come from: the release tag or the operator's folder (which wins), tags named by
 * the registration's tag pattern, and the installed release found from the working directory's git
 * HEAD when the checkout has no upshift.yaml.
 */
class DescriptorSourcesTest {

  private static final Path DEMO = Path.of("../deploy/demo/releases");

  @TempDir Path dir;

  @Test
  void theDefaultPatternTakesBareAndVPrefixedVersions() {
    TagPattern tags = TagPattern.of(null);
    assertThat(tags.version("1.2.0")).contains(Version.parse("1.2.0"));
    assertThat(tags.version("v1.2.0")).contains(Version.parse("1.2.0"));
    assertThat(tags.version("release-1.2.0")).isEmpty();
    assertThat(tags.tag(Version.parse("1.2.0"))).isEqualTo("1.2.0");
  }

  @Test
  void aPatternNamesTagsExactly() {
    TagPattern v = TagPattern.of("v{version}");
    assertThat(v.version("v1.1.1-fail-health")).contains(Version.parse("1.1.1-fail-health"));
    assertThat(v.version("1.1.0")).isEmpty();
    assertThat(v.tag(Version.parse("1.1.0"))).isEqualTo("v1.1.0");
    TagPattern release = TagPattern.of("release-{version}.final");
    assertThat(release.version("release-2.0.0.final")).contains(Version.parse("2.0.0"));
    assertThat(release.version("release-2.0.0xfinal")).as("the dot is literal").isEmpty();
    assertThatThrownBy(() -> TagPattern.of("v1"))
        .isInstanceOf(DescriptorException.class)
        .hasMessageContaining("tag-pattern 'v1' must contain {version} exactly once");
  }

  @Test
  void releasesFollowTheTagPatternAndTheFolderWins() throws Exception {
    Path origin = repository("v");
    Path folder = Files.createDirectories(dir.resolve("descriptors"));
    // 1.1.0 is kept by the operator, edited: its summary tells the two apart.
    Files.createDirectories(folder.resolve("1.1.0"));
    Files.writeString(
        folder.resolve("1.1.0/upshift.yaml"),
        demo("1.1.0").replaceFirst("summary: .*", "summary: \"the operator's\""));
    var registration =
        new PlatformRegistry.Registration(
            origin.toUri().toString(), dir.resolve("work"), "p", folder, "v{version}");
    try (ReleaseRepository repo = ReleaseRepository.open("p", registration, dir.resolve("m"))) {
      assertThat(repo.releases()).extracting(Release::tag).containsExactly("v1.0.0", "v1.1.0");
      assertThat(repo.release("v1.1.0")).isPresent();
      assertThat(repo.release("1.1.0")).as("by version too").isPresent();
      assertThat(repo.descriptor(repo.release("v1.1.0").orElseThrow()).platform().summary())
          .isEqualTo("the operator's");
      assertThat(repo.descriptor(repo.release("v1.0.0").orElseThrow()).platform().summary())
          .as("no file in the folder: the tag's")
          .startsWith("Baseline");
      assertThat(repo.strayDescriptors()).isEmpty();
    }
  }

  @Test
  void aFolderDescriptorOfAnotherVersionOrAMisnamedEntryIsNamed() throws Exception {
    Path origin = repository("");
    Path folder = Files.createDirectories(dir.resolve("descriptors"));
    Files.writeString(folder.resolve("1.1.0.yaml"), demo("1.0.0"));
    Files.createDirectories(folder.resolve("v1.2.0"));
    var registration =
        new PlatformRegistry.Registration(
            origin.toUri().toString(), dir.resolve("work"), "p", folder, null);
    try (ReleaseRepository repo = ReleaseRepository.open("p", registration, dir.resolve("m"))) {
      assertThatThrownBy(() -> repo.descriptor(repo.release("1.1.0").orElseThrow()))
          .isInstanceOf(DescriptorException.class)
          .hasMessageContaining(folder.resolve("1.1.0.yaml").toString())
          .hasMessageContaining("platform.version is 1.0.0")
          .hasMessageContaining("descriptor of version 1.1.0");
      assertThat(repo.strayDescriptors()).containsExactly(folder.resolve("v1.2.0").toString());
    }
  }

  @Test
  void aMissingDescriptorSaysWhereItWasLookedFor() throws Exception {
    Path origin = dir.resolve("origin");
    try (Git git = Git.init().setDirectory(origin.toFile()).call()) {
      Files.writeString(origin.resolve("docker-compose.yml"), "services: {}\n");
      git.add().addFilepattern(".").call();
      git.commit().setMessage("1.0.0").setSign(false).call();
      git.tag().setName("v1.0.0").call();
    }
    Path folder = Files.createDirectories(dir.resolve("descriptors"));
    var registration =
        new PlatformRegistry.Registration(
            origin.toUri().toString(), dir.resolve("work"), "p", folder, "v{version}");
    try (ReleaseRepository repo = ReleaseRepository.open("p", registration, dir.resolve("m"))) {
      assertThatThrownBy(() -> repo.descriptor(repo.release("v1.0.0").orElseThrow()))
          .hasMessageContaining("upshift.yaml at v1.0.0: the release has no upshift.yaml")
          .hasMessageContaining("has neither 1.0.0/upshift.yaml nor 1.0.0.yaml");
    }
    var noFolder =
        new PlatformRegistry.Registration(
            origin.toUri().toString(), dir.resolve("work"), "p", dir.resolve("nope"), null);
    assertThatThrownBy(() -> ReleaseRepository.open("p", noFolder, dir.resolve("m")))
        .hasMessageContaining("upshift.platforms.p.descriptors: ")
        .hasMessageContaining("is not a directory");
  }

  @Test
  void theInstalledReleaseIsFoundFromTheCheckoutsTag() throws Exception {
    Path origin = repository("v");
    Path folder = Files.createDirectories(dir.resolve("descriptors"));
    Files.writeString(
        folder.resolve("1.0.0.yaml"),
        demo("1.0.0").replaceFirst("summary: .*", "summary: \"kept by the operator\""));
    Path work = dir.resolve("work");
    var registration =
        new PlatformRegistry.Registration(
            origin.toUri().toString(), work, "p", folder, "v{version}");
    try (ReleaseRepository repo = ReleaseRepository.open("p", registration, dir.resolve("m"))) {
      repo.checkout(repo.release("v1.0.0").orElseThrow(), work);
    }
    Files.delete(work.resolve("upshift.yaml")); // as for a platform whose tags carry none
    assertThat(InstalledPlatform.descriptor("p", registration).platform().summary())
        .isEqualTo("kept by the operator");

    var withoutFolder =
        new PlatformRegistry.Registration(origin.toUri().toString(), work, "p", null, null);
    assertThatThrownBy(() -> InstalledPlatform.descriptor("p", withoutFolder))
        .hasMessageContaining(work.resolve("upshift.yaml") + " does not exist");
    Files.delete(folder.resolve("1.0.0.yaml"));
    assertThatThrownBy(() -> InstalledPlatform.descriptor("p", registration))
        .hasMessageContaining("the working directory is at release 1.0.0, which has no descriptor");
  }

  private static String demo(String version) throws IOException {
    return Files.readString(DEMO.resolve(version).resolve("upshift.yaml"));
  }

  /** A repository with the demo's 1.0.0 and 1.1.0 descriptors, tagged {@code prefix + version}. */
  private Path repository(String prefix) throws Exception {
    Path origin = dir.resolve("origin");
    try (Git git = Git.init().setDirectory(origin.toFile()).call()) {
      for (String version : new String[] {"1.0.0", "1.1.0"}) {
        Files.writeString(origin.resolve("upshift.yaml"), demo(version));
        git.add().addFilepattern(".").call();
        git.commit().setMessage(version).setSign(false).call();
        git.tag().setName(prefix + version).call();
      }
      // A tag that follows no pattern here is not a release.
      git.tag().setName("latest").call();
    }
    return origin;
  }
}
