package io.upshift.support;

import java.nio.file.Path;
import java.util.List;

/**
 * The ledger platform (deploy/ledger/) for integration tests: a second platform that is not shaped
 * like the demo (two databases, one migrated by Flyway and one by its own runner in the app image,
 * an uploads volume, no database port published, {@code v}-prefixed tags, descriptors kept outside
 * its repository, a manager that starts first). Its images and release repository are prepared once
 * per JVM with the scripts a person uses (deploy/ledger/build-images.sh,
 * deploy/ledger/make-repo.sh).
 */
public final class LedgerPlatform {

  /** Tag names of the ledger's releases: {@code v1.0.0} for version 1.0.0. */
  public static final String TAG_PATTERN = "v{version}";

  private static Path repository;

  private LedgerPlatform() {}

  /**
   * Builds missing images (the demo's base image first), (re)creates the release repository,
   * removes leftovers of crashed test JVMs; returns the bare repository.
   */
  public static synchronized Path repository() {
    if (repository == null) {
      DemoPlatform.removeLeftovers();
      DemoPlatform.run(
          List.of("bash", DemoPlatform.ROOT.resolve("deploy/ledger/build-images.sh").toString()),
          25);
      Path repo = DemoPlatform.ROOT.resolve("workers/target/ledger/platform.git");
      DemoPlatform.run(
          List.of(
              "bash",
              DemoPlatform.ROOT.resolve("deploy/ledger/make-repo.sh").toString(),
              repo.toString()),
          5);
      repository = repo;
    }
    return repository;
  }

  /**
   * The operator's descriptor folder: {@code <version>/upshift.yaml} per release (descriptorVersion
   * 2). The release tags carry none.
   */
  public static Path descriptors() {
    return DemoPlatform.ROOT.resolve("deploy/ledger/descriptors");
  }

  /** The tag of a version: {@code v1.1.0} for {@code 1.1.0}. */
  public static String tag(String version) {
    return TAG_PATTERN.replace("{version}", version);
  }
}
