package io.upshift.rollback;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rollback's report on every database and volume it put back. */
class DataRestoreTest {

  private static DatabaseRestore db(String name, long rows) {
    return new DatabaseRestore(
        name,
        "run-x-stop-1.1.0",
        name + "_failed_abcd1234",
        rows,
        rows == 0
            ? List.of()
            : List.of(new DatabaseRestore.TableDiscard("items", rows, List.of("7", "8"), "id")),
        List.of(),
        "/data/runs/x/discarded-keys-1.1.0-" + name + ".json",
        name);
  }

  @Test
  void oneDatabaseReadsAsBeforeVersionTwo() {
    DatabaseRestore only = db("app", 2);
    DataRestore data = new DataRestore("run-x-stop-1.1.0", List.of(only), null);
    assertThat(data.sentence()).isEqualTo(only.sentence());
    assertThat(data.discarded()).isEqualTo(2);
    assertThat(data.failedStatesKeptAs()).containsExactly("app_failed_abcd1234");
  }

  @Test
  void everyDatabaseAndVolumeIsNamedWithWhatItsFailedStateHeld() {
    VolumeRestore uploads =
        new VolumeRestore(
            "uploads",
            "run-x-stop-1.1.0",
            12,
            "/data/runs/x/failed-volume-1.1.0-uploads.tar",
            3,
            1,
            0,
            List.of("9.json", "10.json", "11.json"),
            List.of("config.json"),
            List.of(),
            "/data/runs/x/discarded-files-1.1.0-uploads.json");
    DataRestore data =
        new DataRestore(
            "run-x-stop-1.1.0", List.of(db("ledger", 2), db("files", 0)), List.of(uploads));
    assertThat(data.sentence())
        .contains("Database ledger: 2 rows written after the stop")
        .contains("Database files: No row of the protected tables")
        .contains("Volume uploads restored from run-x-stop-1.1.0: 3 files written after the stop")
        .contains("9.json, 10.json, 11.json")
        .contains("1 file changed after the stop")
        .contains("failed-volume-1.1.0-uploads.tar");
    assertThat(data.discarded()).isEqualTo(6);
    assertThat(data.failedStatesKeptAs())
        .containsExactly(
            "ledger_failed_abcd1234",
            "files_failed_abcd1234",
            "/data/runs/x/failed-volume-1.1.0-uploads.tar");
  }

  @Test
  void aVolumeNobodyWroteToSaysSo() {
    VolumeRestore quiet =
        new VolumeRestore(
            "files", "p", 4, "/k.tar", 0, 0, 1, List.of(), List.of(), List.of("a"), null);
    assertThat(quiet.sentence())
        .isEqualTo(
            "Volume files restored from p (4 entries); no file was written after the stop, 1"
                + " deleted file is back.");
  }
}
