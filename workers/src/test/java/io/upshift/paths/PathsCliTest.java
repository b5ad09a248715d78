package io.upshift.paths;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code upshift paths} on a generated Backend.AI-like repository (seed 004): every allowed path is
 * printed, every forbidden one refused with the reason.
 */
class PathsCliTest {

  static final String POLICY =
      "{line: minor, withinLine: consecutive, leaveLine: from-latest, skipLines: false}";

  @TempDir static Path tmp;
  static String repo;

  @BeforeAll
  static void backendAi() throws Exception {
    CatalogRepo catalog = new CatalogRepo(tmp.resolve("backend.ai"));
    int[][] lines = {{23, 3, 11}, {23, 9, 10}, {24, 3, 5}};
    for (int[] line : lines) {
      for (int patch = 0; patch <= line[2]; patch++) {
        catalog.release(
            String.format("%d.%02d.%d", line[0], line[1], patch),
            String.format("%d.%02d", line[0], line[1]),
            POLICY,
            Map.of("V1__init.sql", "CREATE TABLE t (id INT);\n"));
      }
    }
    repo = tmp.resolve("backend.ai").toString();
  }

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        PathsCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** {@code a -> b -> ... -> c} as arguments, "..." the releases in between of that line. */
  static List<String> versions(String path) {
    List<String> out = new ArrayList<>();
    String[] parts = path.split("\\s*->\\s*");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("...")) {
        String[] before = parts[i - 1].split("\\.");
        int last = Integer.parseInt(parts[i + 1].split("\\.")[2]);
        for (int p = Integer.parseInt(before[2]) + 1; p < last; p++) {
          out.add(before[0] + "." + before[1] + "." + p);
        }
      } else {
        out.add(parts[i]);
      }
    }
    return out;
  }

  @Test
  void seed004AllowedPathsAreAllowed() {
    for (String path : io.upshift.platform.UpgradePolicyTest.ALLOWED) {
      List<String> args = new ArrayList<>(List.of("check", repo));
      args.addAll(versions(path));
      Result r = run(args.toArray(String[]::new));
      assertThat(r.exit()).as(path + ": " + r.err()).isZero();
      assertThat(r.out()).startsWith("Allowed: ");
    }
  }

  @Test
  void seed004ForbiddenPathsAreRefusedWithTheReason() {
    for (String path : io.upshift.platform.UpgradePolicyTest.FORBIDDEN) {
      List<String> args = new ArrayList<>(List.of("check", repo));
      args.addAll(versions(path));
      assertThat(run(args.toArray(String[]::new)).exit()).as(path).isEqualTo(1);
    }
    Result minor = run("check", repo, "23.09.9", "24.03.0");
    assertThat(minor.exit()).isEqualTo(1);
    assertThat(minor.err())
        .contains("Forbidden: 23.9.9 -> 24.3.0")
        .contains("not from its latest release 23.9.10 (upgrade.policy.leaveLine: from-latest)");

    Result major = run("check", repo, "23.03.0", "24.03.0");
    assertThat(major.exit()).isEqualTo(1);
    assertThat(major.err())
        .contains("not from its latest release 23.3.11")
        .contains("it skips line 23.9 (upgrade.policy.skipLines: false)");
  }

  @Test
  void thePathNamesWhyEachSteppingStoneIsNeeded() {
    Result r = run(repo, "23.09.9", "24.03.0");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .startsWith("23.9.9 -> 23.9.10 -> 24.3.0")
        .contains(
            "23.9.9 -> 23.9.10   (stepping stone: 23.9.9 -> 24.3.0 is refused: it leaves line 23.9"
                + " from 23.9.9, not from its latest release 23.9.10");

    Result all = run(repo, "23.09.8", "24.03.5", "--all");
    // Land on any 24.03 release, then consecutively: one path per landing release.
    assertThat(all.out().lines())
        .hasSize(7)
        .startsWith("23.9.8 -> 23.9.9 -> 23.9.10 -> 24.3.5")
        .contains(
            "23.9.8 -> 23.9.9 -> 23.9.10 -> 24.3.0 -> 24.3.1 -> 24.3.2 -> 24.3.3 -> 24.3.4 -> 24.3.5")
        .endsWith("6 allowed paths");
  }

  @Test
  void noPathAndBadInputAreExplained() {
    Result down = run(repo, "24.03.0", "23.09.10");
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.err()).contains("23.9.10 is not newer than 24.3.0");

    Result bad = run(repo, "23.09", "24.03.0");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("'23.09' is not a version");

    assertThat(run().exit()).isEqualTo(2);
  }
}
