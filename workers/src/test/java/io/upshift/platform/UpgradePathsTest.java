package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.upshift.platform.UpgradePaths.Hop;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class UpgradePathsTest {

  /** The demo platform's policy (deploy/demo/releases/*&#47;upshift.yaml). */
  static final Map<String, List<String>> DEMO =
      Map.of(
          "1.0.0", List.of(),
          "1.1.0", List.of("1.0.x"),
          "1.1.1-fail-migration", List.of("1.1.0"),
          "1.2.0", List.of("1.1.x"),
          "2.0.0", List.of("1.2.x"));

  static List<Version> releases() {
    return DEMO.keySet().stream().map(Version::parse).sorted().toList();
  }

  static Map<Version, Predicate<Version>> accepts() {
    return DEMO.entrySet().stream()
        .collect(
            Collectors.toMap(
                e -> Version.parse(e.getKey()),
                e -> v -> e.getValue().stream().anyMatch(v::matches)));
  }

  static List<String> path(String from, String to) {
    return UpgradePaths.shortest(Version.parse(from), Version.parse(to), releases(), accepts())
        .map(hops -> hops.stream().map(Hop::to).map(Version::toString).toList())
        .orElse(null);
  }

  @Test
  void directHopWhenThePolicyAllowsIt() {
    assertThat(path("1.0.0", "1.1.0")).containsExactly("1.1.0");
  }

  @Test
  void steppingStonesForSkippedMinorsAndMajors() {
    assertThat(path("1.0.0", "1.2.0")).containsExactly("1.1.0", "1.2.0");
    assertThat(path("1.0.0", "2.0.0")).containsExactly("1.1.0", "1.2.0", "2.0.0");
    assertThat(path("1.1.0", "2.0.0")).containsExactly("1.2.0", "2.0.0");
  }

  @Test
  void labelledReleasesAreTargetsButNeverSteppingStones() {
    assertThat(path("1.1.0", "1.1.1-fail-migration")).containsExactly("1.1.1-fail-migration");
    assertThat(path("1.0.0", "1.1.1-fail-migration"))
        .containsExactly("1.1.0", "1.1.1-fail-migration");
    assertThat(path("1.1.0", "1.2.0")).containsExactly("1.2.0");
  }

  @Test
  void noPathForDowngradesSameVersionOrUnreachableTargets() {
    assertThat(path("1.2.0", "1.1.0")).isNull();
    assertThat(path("1.1.0", "1.1.0")).isNull();
    assertThat(path("2.0.0", "2.1.0")).isNull();
  }

  @Test
  void versionsOrderAndMatchPatterns() {
    assertThat(Version.parse("1.1.1-fail")).isLessThan(Version.parse("1.1.1"));
    assertThat(Version.parse("1.10.0")).isGreaterThan(Version.parse("1.9.3"));
    assertThat(Version.parse("1.0.7").matches("1.0.x")).isTrue();
    assertThat(Version.parse("1.0.7").matches("1.x")).isTrue();
    assertThat(Version.parse("1.1.0").matches("1.0.x")).isFalse();
    assertThat(Version.parse("1.0.1-rc").matches("1.0.x")).isFalse();
    assertThatThrownBy(() -> Version.parse("1.0")).hasMessageContaining("MAJOR.MINOR.PATCH");
  }
}
