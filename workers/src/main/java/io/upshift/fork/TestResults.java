package io.upshift.fork;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Test results as the test command left them: JUnit XML reports (Maven, Gradle, pytest's
 * --junitxml, ...) or, without reports, pytest's terminal summary ({@code FAILED id} lines and the
 * {@code == 1 failed, 20 passed in 3.2s ==} line). A failure is identified by {@code
 * classname.name} (JUnit) or the pytest node id; baselines compare these ids.
 */
final class TestResults {

  /**
   * One test run's outcome.
   *
   * @param failures the ids of failed and errored tests, sorted
   * @param source {@code junit} or {@code pytest}
   */
  record Outcome(int passed, int failed, int skipped, List<String> failures, String source) {}

  /** What changed against the baseline of the previous base version. */
  record Comparison(List<String> preExisting, List<String> regressions, List<String> fixed) {}

  private static final Pattern PYTEST_SUMMARY =
      Pattern.compile("(?m)^=+ (.*?) in [0-9.]+s(?: \\([^)]*\\))? =+\\s*$");
  private static final Pattern PYTEST_COUNT =
      Pattern.compile(
          "(\\d+) (failed|passed|skipped|errors?|xfailed|xpassed|deselected|warnings?)");
  private static final Pattern PYTEST_FAILED = Pattern.compile("(?m)^(?:FAILED|ERROR) (\\S+)");

  private TestResults() {}

  static Outcome fromJUnit(List<Path> reports) throws IOException {
    int passed = 0;
    int skipped = 0;
    Set<String> failures = new TreeSet<>();
    int failed = 0;
    DocumentBuilder builder = builder();
    for (Path report : reports) {
      Document doc;
      try (InputStream in = Files.newInputStream(report)) {
        doc = builder.parse(in);
      } catch (SAXException e) {
        throw new IOException("JUnit report " + report + " is not XML: " + e.getMessage(), e);
      }
      NodeList cases = doc.getElementsByTagName("testcase");
      for (int i = 0; i < cases.getLength(); i++) {
        Element testCase = (Element) cases.item(i);
        String name = testCase.getAttribute("name");
        String type = testCase.getAttribute("classname");
        String id = type.isEmpty() ? name : type + "." + name;
        if (hasChild(testCase, "failure") || hasChild(testCase, "error")) {
          failed++;
          failures.add(id);
        } else if (hasChild(testCase, "skipped")) {
          skipped++;
        } else {
          passed++;
        }
      }
    }
    return new Outcome(passed, failed, skipped, List.copyOf(failures), "junit");
  }

  /** pytest's summary line and its FAILED/ERROR lines; empty when there is no summary. */
  static Optional<Outcome> fromPytest(String output) {
    Matcher summary = PYTEST_SUMMARY.matcher(output);
    String last = null;
    while (summary.find()) {
      last = summary.group(1);
    }
    if (last == null) {
      return Optional.empty();
    }
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    Matcher count = PYTEST_COUNT.matcher(last);
    while (count.find()) {
      int n = Integer.parseInt(count.group(1));
      switch (count.group(2)) {
        case "passed" -> passed += n;
        case "failed", "error", "errors" -> failed += n;
        case "skipped" -> skipped += n;
        default -> {}
      }
    }
    Set<String> failures = new TreeSet<>();
    Matcher line = PYTEST_FAILED.matcher(output);
    while (line.find()) {
      failures.add(line.group(1));
    }
    return Optional.of(new Outcome(passed, failed, skipped, List.copyOf(failures), "pytest"));
  }

  static Comparison compare(List<String> failures, List<String> baseline) {
    Set<String> now = new TreeSet<>(failures);
    Set<String> before = new TreeSet<>(baseline);
    List<String> preExisting = new ArrayList<>();
    List<String> regressions = new ArrayList<>();
    for (String f : now) {
      (before.contains(f) ? preExisting : regressions).add(f);
    }
    List<String> fixed = before.stream().filter(f -> !now.contains(f)).toList();
    return new Comparison(List.copyOf(preExisting), List.copyOf(regressions), fixed);
  }

  private static boolean hasChild(Element element, String name) {
    for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static DocumentBuilder builder() throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setExpandEntityReferences(false);
      return factory.newDocumentBuilder();
    } catch (ParserConfigurationException e) {
      throw new IOException("No safe XML parser: " + e.getMessage(), e);
    }
  }
}
