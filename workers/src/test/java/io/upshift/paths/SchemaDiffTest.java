package io.upshift.paths;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SchemaDiffTest {

  static final String DUMP =
      """
      --
      -- PostgreSQL database dump
      --
      \\restrict 3kx9Qa
      SET statement_timeout = 0;
      SELECT pg_catalog.set_config('search_path', '', false);

      CREATE TABLE public.repository (
          id bigint NOT NULL,
          name text NOT NULL%s
      );
      \\unrestrict 3kx9Qa
      """;

  @Test
  void identicalSchemasDifferOnlyInWhatIsNormalisedAway() {
    String a = DUMP.formatted("");
    String b = a.replace("3kx9Qa", "Zz81Lm").replace("-- PostgreSQL database dump", "-- other");
    assertThat(SchemaDiff.diff(a, b)).isEmpty();
    assertThat(SchemaDiff.normalise(a))
        .containsExactly(
            "CREATE TABLE public.repository (",
            "    id bigint NOT NULL,",
            "    name text NOT NULL",
            ");");
  }

  @Test
  void aDifferenceShowsTheLinesOfEachSide() {
    String fresh = DUMP.formatted(",\n    retain_versions integer");
    String path = DUMP.formatted("");
    assertThat(SchemaDiff.diff(fresh, path))
        .containsExactly(
            "-     name text NOT NULL,",
            "-     retain_versions integer",
            "+     name text NOT NULL");
  }

  @Test
  void flywaysChecksumIsComputedLikeFlyway() {
    // CRC32 over the lines without terminators: line endings and a final newline do not count.
    assertThat(Migration.checksum("SELECT 1;\nSELECT 2;\n"))
        .isEqualTo(Migration.checksum("SELECT 1;\r\nSELECT 2;"));
    assertThat(Migration.of("V2_1__bmbouter_test.sql", "SELECT 1;".getBytes()).label())
        .isEqualTo("2.1 (bmbouter test)");
    assertThat(Migration.of("R__views.sql", new byte[0])).isNull();
    assertThat(Migration.change("-- a comment\nALTER  TABLE x\n ADD y int;"))
        .isEqualTo(Migration.change("alter table x add y int;"));
  }
}
