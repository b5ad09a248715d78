package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DescriptorReaderTest {

  static final Path RELEASES = Path.of("../deploy/demo/releases");

  @Test
  void everyDemoReleaseDescriptorReads() throws IOException {
    List<Path> descriptors;
    try (Stream<Path> dirs = Files.list(RELEASES)) {
      descriptors =
          dirs.map(d -> d.resolve("upshift.yaml")).filter(Files::exists).sorted().toList();
    }
    assertThat(descriptors).hasSizeGreaterThanOrEqualTo(7);
    for (Path file : descriptors) {
      PlatformDescriptor d = DescriptorReader.read(Files.readString(file), file.toString());
      assertThat(d.version().toString()).isEqualTo(file.getParent().getFileName().toString());
      assertThat(d.applicationStopOrder())
          .extracting(PlatformDescriptor.Service::name)
          .contains("backend");
    }
  }

  @Test
  void policyOfTheMajorReleaseNamesTheLatestMinor() throws IOException {
    PlatformDescriptor major =
        DescriptorReader.read(Files.readString(RELEASES.resolve("2.0.0/upshift.yaml")), "2.0.0");

    assertThat(major.acceptsUpgradeFrom(Version.parse("1.2.0"))).isTrue();
    assertThat(major.acceptsUpgradeFrom(Version.parse("1.1.0"))).isFalse();
  }

  @Test
  void unknownKeysWrongTypesAndMissingFieldsAreNamed() {
    String valid =
        """
        descriptorVersion: 1
        platform: {name: p, version: "1.0.0"}
        compose: {file: docker-compose.yml}
        services: [{name: app, role: application, stopOrder: 1, healthTimeoutSeconds: 30}]
        upgrade: {from: []}
        x-notes: ignored
        """;
    assertThat(DescriptorReader.read(valid, "ok").platform().name()).isEqualTo("p");

    assertThatThrownBy(() -> DescriptorReader.read(valid.replace("stopOrder", "stopOrdr"), "t1"))
        .isInstanceOf(DescriptorException.class)
        .hasMessageContaining("t1: field services[0].stopOrdr");
    assertThatThrownBy(
            () -> DescriptorReader.read(valid.replace("role: application", "role: cache"), "t2"))
        .hasMessageContaining("services[0].role");
    assertThatThrownBy(() -> DescriptorReader.read(valid.replace("\"1.0.0\"", "\"1.0\""), "t3"))
        .hasMessageContaining("platform.version '1.0'");
    assertThatThrownBy(() -> DescriptorReader.read(valid.replace("upgrade: {from: []}", ""), "t4"))
        .hasMessageContaining("upgrade.from is required");
    assertThatThrownBy(() -> DescriptorReader.read("- a list", "t5"))
        .hasMessageContaining("t5: not a YAML mapping");
  }

  @Test
  void theMajorReleaseSplitsItsMigrationsAroundTheDowntime() throws IOException {
    PlatformDescriptor major =
        DescriptorReader.read(Files.readString(RELEASES.resolve("2.0.0/upshift.yaml")), "2.0.0");

    PlatformDescriptor.Migrations m = major.databases().get(0).migrations();
    assertThat(m.preDeploymentUpTo()).isEqualTo("5");
    assertThat(m.postDeploymentFrom()).isEqualTo("6");
    assertThat(m.splitsAroundDowntime()).isTrue();
  }

  @Test
  void preAndPostDeploymentBoundsAreCheckedAndNamed() throws IOException {
    String major = Files.readString(RELEASES.resolve("2.0.0/upshift.yaml"));
    String bounds = "    preDeploymentUpTo: \"5\"\n    postDeploymentFrom: \"6\"\n";
    assertThat(major).contains(bounds);

    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    major.replace(bounds, bounds.replace("\"5\"", "\"6\"")), "equal"))
        .isInstanceOf(DescriptorException.class)
        .hasMessageContaining(
            "database.migrations.preDeploymentUpTo (6) must be lower than"
                + " database.migrations.postDeploymentFrom (6)");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    major.replace(bounds, bounds.replace("\"5\"", "\"7.1\"")), "above"))
        .hasMessageContaining("must be lower than");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    major.replace(bounds, bounds.replace("\"6\"", "\"v6\"")), "not a version"))
        .hasMessageContaining("database.migrations.postDeploymentFrom must be a dotted Flyway")
        .hasMessageContaining("'v6'");
    assertThatThrownBy(
            () ->
                DescriptorReader.read(
                    major.replace(bounds, "    preDeploymentUpto: \"5\"\n"), "typo"))
        .hasMessageContaining("did you mean 'preDeploymentUpTo'");
    // Either bound alone is fine.
    assertThat(
            DescriptorReader.read(major.replace("    postDeploymentFrom: \"6\"\n", ""), "pre only")
                .databases()
                .get(0)
                .migrations()
                .postDeploymentFrom())
        .isNull();
  }
}
