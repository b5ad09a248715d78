package io.upshift.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestResultsTest {

  @TempDir Path dir;

  @Test
  void readsJUnitReportsFailuresErrorsAndSkips() throws Exception {
    Path a = dir.resolve("TEST-a.xml");
    Files.writeString(
        a,
        """
        <?xml version="1.0"?>
        <testsuite name="a">
          <testcase classname="sky.CloudTest" name="lists"/>
          <testcase classname="sky.CloudTest" name="fails"><failure message="x">trace</failure></testcase>
          <testcase classname="sky.CloudTest" name="skips"><skipped/></testcase>
        </testsuite>
        """);
    Path b = dir.resolve("TEST-b.xml");
    Files.writeString(
        b,
        """
        <testsuites><testsuite name="b">
          <testcase classname="sky.DbTest" name="errors"><error type="IOError"/></testcase>
          <testcase classname="sky.DbTest" name="ok"/>
        </testsuite></testsuites>
        """);

    TestResults.Outcome outcome = TestResults.fromJUnit(List.of(a, b));

    assertThat(outcome.passed()).isEqualTo(2);
    assertThat(outcome.failed()).isEqualTo(2);
    assertThat(outcome.skipped()).isEqualTo(1);
    assertThat(outcome.failures()).containsExactly("sky.CloudTest.fails", "sky.DbTest.errors");
  }

  @Test
  void readsThePytestSummary() {
    String output =
        """
        ============================= test session starts ==============================
        collected 23 items
        tests/test_a.py ..F....
        =========================== short test summary info ============================
        FAILED tests/test_a.py::test_catalog_url - AssertionError: boom
        ERROR tests/test_b.py::test_setup - RuntimeError
        ============= 1 failed, 20 passed, 1 skipped, 1 error in 3.21s =============
        """;

    TestResults.Outcome outcome = TestResults.fromPytest(output).orElseThrow();

    assertThat(outcome.passed()).isEqualTo(20);
    assertThat(outcome.failed()).isEqualTo(2);
    assertThat(outcome.skipped()).isEqualTo(1);
    assertThat(outcome.failures())
        .containsExactly("tests/test_a.py::test_catalog_url", "tests/test_b.py::test_setup");
    assertThat(TestResults.fromPytest("make: *** [test] Error 2\n")).isEmpty();
  }

  @Test
  void comparesWithTheBaseline() {
    TestResults.Comparison cmp = TestResults.compare(List.of("a", "b", "c"), List.of("a", "z"));

    assertThat(cmp.preExisting()).containsExactly("a");
    assertThat(cmp.regressions()).containsExactly("b", "c");
    assertThat(cmp.fixed()).containsExactly("z");
  }
}
