package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

public class UpgradePolicyTest {

  /** Seed 004 (Backend.AI): its allowed and forbidden upgrade paths, verbatim. */
  public static final List<String> ALLOWED =
      List.of(
          "23.09.10 -> 24.03.0",
          "23.09.10 -> 24.03.5",
          "23.09.9 -> 23.09.10 -> 24.03.0",
          "23.03.11 -> 23.09.0 -> 23.09.1 -> ... -> 23.09.10 -> 24.03.0");

  public static final List<String> FORBIDDEN = List.of("23.09.9 -> 24.03.0", "23.03.0 -> 24.03.0");

  /**
   * Seed 004's rules: minor upgrades consecutively, a major upgrade from the latest minor of the
   * previous release, no intermediate major skipped. Its "major" is our line (23.09), its "minor"
   * our patch.
   */
  static final String SEED_004_YAML =
      """
      upgrade:
        policy:
          line: minor
          withinLine: consecutive
          leaveLine: from-latest
          skipLines: false
      """;

  /** Backend.AI's catalog: 23.03.0-11, 23.09.0-10, 24.03.0-5, every release with the policy. */
  static UpgradeRules backendAi() {
    Map<Version, PlatformDescriptor> descriptors = new LinkedHashMap<>();
    int[][] lines = {{23, 3, 11}, {23, 9, 10}, {24, 3, 5}};
    for (int[] line : lines) {
      for (int patch = 0; patch <= line[2]; patch++) {
        String version = String.format("%d.%02d.%d", line[0], line[1], patch);
        descriptors.put(Version.parse(version), descriptor(version, SEED_004_YAML));
      }
    }
    return UpgradeRules.of(descriptors, Version.parse("24.3.5"));
  }

  static PlatformDescriptor descriptor(String version, String upgrade) {
    return DescriptorReader.read(
        """
        descriptorVersion: 1
        platform: {name: backend-ai, version: "%s"}
        compose: {file: docker-compose.yml}
        services:
          - {name: manager, role: application, stopOrder: 1}
        %s
        """
            .formatted(version, upgrade),
        "upshift.yaml at " + version);
  }

  /** Parses {@code a -> b -> ... -> c}: "..." stands for every release of the catalog between. */
  static List<Version> path(String text, UpgradeRules rules) {
    List<Version> path = new ArrayList<>();
    String[] parts = text.split("\\s*->\\s*");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("...")) {
        Version before = path.get(path.size() - 1);
        Version after = Version.parse(parts[i + 1]);
        rules.catalog().stream()
            .filter(v -> v.compareTo(before) > 0 && v.compareTo(after) < 0)
            .forEach(path::add);
      } else {
        path.add(Version.parse(parts[i]));
      }
    }
    return path;
  }

  @Test
  void seed004AllowedPathsAreAllowedAndFoundAmongAllPaths() {
    UpgradeRules rules = backendAi();
    for (String text : ALLOWED) {
      List<Version> path = path(text, rules);
      assertThat(rules.pathRefusal(path)).as(text).isEmpty();
      assertThat(rules.all(path.get(0), path.get(path.size() - 1))).as(text).contains(path);
    }
  }

  @Test
  void seed004ForbiddenPathsAreRefusedWithTheReason() {
    UpgradeRules rules = backendAi();
    assertThat(rules.pathRefusal(path(FORBIDDEN.get(0), rules)))
        .hasValue(
            "the hop 23.9.9 -> 24.3.0 is refused: it leaves line 23.9 from 23.9.9, not from its"
                + " latest release 23.9.10 (upgrade.policy.leaveLine: from-latest)");
    assertThat(rules.pathRefusal(path(FORBIDDEN.get(1), rules)))
        .hasValueSatisfying(
            why ->
                assertThat(why)
                    .contains("not from its latest release 23.3.11")
                    .contains("it skips line 23.9 (upgrade.policy.skipLines: false)"));
  }

  @Test
  void theShortestPathExplainsEachSteppingStone() {
    UpgradeRules rules = backendAi();
    List<Version> path = rules.shortest(Version.parse("23.09.9"), Version.parse("24.03.0")).get();
    assertThat(UpgradeRules.describe(path)).isEqualTo("23.9.9 -> 23.9.10 -> 24.3.0");
    assertThat(rules.explain(path).get(0))
        .contains("stepping stone: 23.9.9 -> 24.3.0 is refused")
        .contains("leaveLine: from-latest");

    List<Version> long_ = rules.shortest(Version.parse("23.03.0"), Version.parse("24.03.0")).get();
    // 23.03.0..11 consecutively, land anywhere in 23.09 (like 23.09.10 -> 24.03.5), leave it from
    // 23.09.10: the shortest lands on 23.09.10 itself.
    assertThat(UpgradeRules.describe(long_.subList(11, 14)))
        .isEqualTo("23.3.11 -> 23.9.10 -> 24.3.0");
    List<List<Version>> all = rules.all(Version.parse("23.03.0"), Version.parse("24.03.0"));
    assertThat(all).hasSize(11).startsWith(long_); // one per landing release 23.09.0..10
  }

  @Test
  void consecutiveMinorsAndSteppingStones() {
    UpgradeRules rules = backendAi();
    assertThat(rules.refusal(Version.parse("23.09.7"), Version.parse("23.09.9")))
        .hasValue("it skips 23.9.8 of line 23.9 (upgrade.policy.withinLine: consecutive)");

    Map<Version, List<String>> from = new LinkedHashMap<>();
    for (String v : List.of("3.14.6", "3.15.2", "3.15.3", "3.16.0")) {
      from.put(Version.parse(v), null);
    }
    UpgradeRules stones =
        new UpgradeRules(UpgradePolicy.of("minor", "any", "any", true, "3.15.3"), from);
    assertThat(stones.refusal(Version.parse("3.15.2"), Version.parse("3.16.0")))
        .hasValue("it passes over the stepping stone 3.15.3 (upgrade.policy.steppingStones)");
    assertThat(stones.all(Version.parse("3.14.6"), Version.parse("3.16.0")))
        .extracting(UpgradeRules::describe)
        .containsExactly("3.14.6 -> 3.15.3 -> 3.16.0", "3.14.6 -> 3.15.2 -> 3.15.3 -> 3.16.0");
  }

  @Test
  void perReleaseFromStillRefinesThePolicy() {
    PlatformDescriptor d =
        descriptor(
            "24.03.0",
            """
            upgrade:
              from: ["23.09.10"]
              policy: {leaveLine: any}
            """);
    Map<Version, List<String>> from = new LinkedHashMap<>();
    from.put(Version.parse("23.09.9"), null);
    from.put(Version.parse("23.09.10"), null);
    from.put(Version.parse("24.03.0"), d.upgrade().from());
    UpgradeRules rules = new UpgradeRules(d.upgradePolicy(), from);
    assertThat(rules.refusal(Version.parse("23.09.9"), Version.parse("24.03.0")))
        .hasValue("24.3.0 accepts upgrades only from [23.09.10] (its upgrade.from)");
    assertThat(rules.allows(Version.parse("23.09.10"), Version.parse("24.03.0"))).isTrue();
  }

  @Test
  void badPolicyValuesNameTheFieldAndTheAllowedValues() {
    assertThatThrownBy(
            () ->
                descriptor(
                    "1.0.0",
                    """
                    upgrade:
                      policy:
                        withinLine: sometimes
                        line: patch
                        steppingStones: ["1.x"]
                    """))
        .hasMessageContaining("upgrade.policy.line 'patch' is not one of minor, major")
        .hasMessageContaining(
            "upgrade.policy.withinLine 'sometimes' is not one of consecutive, any")
        .hasMessageContaining("upgrade.policy.steppingStones[0] '1.x' is not a release version");
    assertThatThrownBy(
            () ->
                descriptor(
                    "1.0.0",
                    """
                    upgrade:
                      policy: {skipMajors: false}
                    """))
        .hasMessageContaining("upgrade.policy.skipMajors");
  }
}
