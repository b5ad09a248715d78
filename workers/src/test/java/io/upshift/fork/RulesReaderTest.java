package io.upshift.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RulesReaderTest {

  static final String FILE = "fork/upgrade-rules.yaml";

  @Test
  void readsTheFixtureRulesAndClassifiesFirstMatchFirst() {
    UpgradeRules rules = RulesReader.read(FILE, ForkFixtures.RULES);

    assertThat(rules.tagPrefix()).isEqualTo("acme");
    assertThat(rules.install()).containsExactly(List.of("sh", "ci/install.sh"));
    assertThat(rules.test()).containsExactly("sh", "ci/run-tests.sh");
    assertThat(rules.testTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(rules.testReports()).containsExactly("build/test-results/*.xml");
    assertThat(rules.rules()).hasSize(6);
    assertThat(rules.classify(".github/workflows/ci.yml"))
        .isEqualTo(
            new UpgradeRules.Classification(
                ".github/workflows/ci.yml",
                "keep-ours",
                ".github/** (line 12)",
                "custom infrastructure"));
    assertThat(rules.classify("docs/guide.md").decision()).isEqualTo("accept-upstream");
    assertThat(rules.classify("sky/catalog/x/y.py").decision()).isEqualTo("manual");
    assertThat(rules.classify("sky/clouds/cudo.py"))
        .extracting(UpgradeRules.Classification::decision, UpgradeRules.Classification::rule)
        .containsExactly("manual", UpgradeRules.NO_RULE);
  }

  @Test
  void aDirectoryRuleCoversEverythingBelowIt() {
    UpgradeRules rules =
        RulesReader.read(
            FILE,
            """
            tagPrefix: ojin
            test: [make, test]
            rules:
              - path: sky/provision/seeweb/
                decision: accept-upstream
                reason: upstream took it
              - path: "sky/*.py"
                decision: keep-ours
                reason: top-level modules only
            """);
    assertThat(rules.classify("sky/provision/seeweb/instance.py").decision())
        .isEqualTo("accept-upstream");
    assertThat(rules.classify("sky/__init__.py").decision()).isEqualTo("keep-ours");
    assertThat(rules.classify("sky/clouds/aws.py").decision()).isEqualTo("manual");
    assertThat(rules.testTimeout()).isEqualTo(RulesReader.DEFAULT_TEST_TIMEOUT);
  }

  @Test
  void anUnknownDecisionNamesLineAndField() {
    assertRefused(
        """
        tagPrefix: acme
        test: [make, test]
        rules:
          - path: docs/**
            decision: accept-upstream
            reason: upstream docs
          - path: sky/x.py
            decision: theirs
            reason: typo
        """,
        8,
        "rules[1].decision",
        "'theirs' is not one of accept-upstream, keep-ours, manual");
  }

  @Test
  void aBadGlobNamesLineAndField() {
    assertRefused(
        """
        tagPrefix: acme
        test: [make, test]
        rules:
          - path: "sky/[clouds/*.py"
            decision: manual
            reason: broken glob
        """,
        4,
        "rules[0].path",
        "'sky/[clouds/*.py' is not a valid glob");
  }

  @Test
  void otherMistakesAreNamedToo() {
    assertRefused("tagPrefix: acme\ntest: make test\nrules: []\n", 2, "test", "must be a list");
    assertRefused("tagPrefix: acme\nrules: []\n", 1, "test", "is required");
    assertRefused(
        "tagPrefix: acme\ntest: [make]\nrules:\n  - path: a\n    decision: manual\n",
        4,
        "rules[0].reason",
        "is required");
    assertRefused("tagPrefix: acme\ntest: [make]\nrule: []\n", 3, "rule", "is not a known field");
    assertRefused(
        "tagPrefix: acme\ntest: [make]\ntestTimeout: 30m\nrules: []\n",
        3,
        "testTimeout",
        "'30m' is not an ISO-8601 duration");
    assertRefused(
        "tagPrefix: acme\ntest: [make]\nrules:\n  - path: /etc/passwd\n    decision: manual\n    reason: x\n",
        4,
        "rules[0].path",
        "'/etc/passwd' must be a relative path glob");
    assertRefused("tagPrefix: [acme\n", 2, "(file)", "is not valid YAML");
  }

  private static void assertRefused(String yaml, int line, String field, String problem) {
    assertThatThrownBy(() -> RulesReader.read(FILE, yaml))
        .isInstanceOf(RulesException.class)
        .hasMessageContaining(FILE + " line " + line + ": " + field + ": " + problem)
        .satisfies(
            e -> {
              assertThat(((RulesException) e).line()).isEqualTo(line);
              assertThat(((RulesException) e).field()).isEqualTo(field);
            });
  }
}
