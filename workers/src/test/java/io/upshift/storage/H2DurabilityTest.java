package io.upshift.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/** An H2 file database writes each commit through; an in-memory one is left alone. */
class H2DurabilityTest {

  @TempDir Path dir;

  @Test
  void aFileDatabaseGetsWriteDelayZero() throws Exception {
    var dataSource =
        new SingleConnectionDataSource("jdbc:h2:file:" + dir.resolve("db"), "sa", "", true);
    try {
      assertThat(writeDelay(dataSource)).isEqualTo("500");
      assertThat(H2Durability.makeDurable(dataSource, "dataSource")).isTrue();
      assertThat(writeDelay(dataSource)).isEqualTo("0");
    } finally {
      dataSource.destroy();
    }
  }

  @Test
  void anInMemoryDatabaseIsLeftAlone() {
    var dataSource =
        new SingleConnectionDataSource("jdbc:h2:mem:" + UUID.randomUUID(), "sa", "", true);
    try {
      assertThat(H2Durability.makeDurable(dataSource, "dataSource")).isFalse();
    } finally {
      dataSource.destroy();
    }
  }

  private static String writeDelay(SingleConnectionDataSource dataSource) throws Exception {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                    + " WHERE SETTING_NAME = 'WRITE_DELAY'")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
