package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Where Upshift records the installed version: out of the application's schema in version 2. */
class VersionRecordLocationTest {

  @Test
  void versionOneKeepsItsTableWhereItWas() throws IOException {
    Path file = Path.of("../deploy/demo/releases/1.1.0/upshift.yaml");
    PlatformDescriptor v1 = DescriptorReader.read(Files.readString(file), file.toString());

    RecordVersionWorker.Location location = RecordVersionWorker.location(v1);

    assertThat(location.database().id()).isEqualTo(PlatformDescriptor.V1_DATABASE_ID);
    assertThat(location.schema()).isNull();
    assertThat(location.qualifiedTable()).isEqualTo("upshift_platform_version");
  }

  @Test
  void versionTwoDefaultsToASchemaOfItsOwnInTheFirstDatabase() throws IOException {
    String example =
        DescriptorV2Test.referenceExample().replaceAll("(?s)versionRecord:.*?\\n(?=\\S)", "");
    PlatformDescriptor v2 = DescriptorReader.read(example, "example without versionRecord");
    assertThat(v2.versionRecord()).isNull();

    RecordVersionWorker.Location location = RecordVersionWorker.location(v2);

    assertThat(location.database().id()).isEqualTo("ledger");
    assertThat(location.qualifiedTable()).isEqualTo("upshift.platform_version");
    assertThat(location.quotedSchema()).isEqualTo("upshift");
  }

  @Test
  void versionRecordChoosesDatabaseSchemaAndTable() throws IOException {
    String example =
        DescriptorV2Test.referenceExample()
            .replace("  database: ledger                      # default", "  database: files # d")
            .replace("  schema: upshift                       # default", "  schema: ops # d")
            .replace("  table: platform_version               # default", "  table: versions # d");
    PlatformDescriptor v2 = DescriptorReader.read(example, "example");

    RecordVersionWorker.Location location = RecordVersionWorker.location(v2);

    assertThat(location.database().id()).isEqualTo("files");
    assertThat(location.qualifiedTable()).isEqualTo("ops.versions");
  }

  @Test
  void anUnknownDatabaseIsNamed() throws IOException {
    String example =
        DescriptorV2Test.referenceExample()
            .replace("  database: ledger                      # default", "  database: nope # d");
    PlatformDescriptor v2;
    try {
      v2 = DescriptorReader.read(example, "example");
    } catch (DescriptorException e) {
      // the reader checks it already: also fine, as long as the field is named
      assertThat(e.getMessage()).contains("versionRecord.database");
      return;
    }
    PlatformDescriptor read = v2;
    assertThatThrownBy(() -> RecordVersionWorker.location(read))
        .hasMessageContaining("versionRecord.database: 'nope' is not a database id")
        .hasMessageContaining("[ledger, files]");
  }
}
