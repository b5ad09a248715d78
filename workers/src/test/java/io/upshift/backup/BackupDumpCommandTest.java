package io.upshift.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackupDumpCommandTest {

  @Test
  void theRestorePointAtTheStopTradesSizeForSpeedAndEarlierBackupsKeepTheDefaultLevel() {
    assertThat(BackupService.pgDump(true, "app", "orders"))
        .containsExactly("pg_dump", "-Fc", "-Z1", "-U", "app", "-d", "orders");
    assertThat(BackupService.pgDump(false, "app", "orders"))
        .containsExactly("pg_dump", "-Fc", "-U", "app", "-d", "orders");
  }
}
