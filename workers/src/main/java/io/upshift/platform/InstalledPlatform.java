package io.upshift.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * A registered platform as installed on its host: the release checked out in its working directory
 * (descriptor) and its .env. Credentials are read here, by reference, and never leave the service
 * as process variables.
 */
public record InstalledPlatform(
    String name,
    PlatformRegistry.Registration registration,
    PlatformDescriptor descriptor,
    EnvFile env) {

  public static InstalledPlatform load(String name, PlatformRegistry.Registration registration) {
    Path workDir = registration.workingDirectory();
    PlatformDescriptor descriptor = descriptor(name, registration);
    String envName =
        descriptor.compose().envFile() == null ? ".env" : descriptor.compose().envFile();
    try {
      return new InstalledPlatform(
          name, registration, descriptor, EnvFile.read(workDir.resolve(envName)));
    } catch (IOException e) {
      throw new DescriptorException(
          "Cannot read the installed release of " + name + " in " + workDir + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * The descriptor of the release checked out in the platform's working directory. With a
   * registered descriptor folder, the installed version is the release tag (under the platform's
   * tag pattern) that the working directory's git HEAD points at, and its descriptor comes from the
   * folder; otherwise, or when the folder has none for that version, it is the checkout's {@code
   * upshift.yaml}.
   */
  public static PlatformDescriptor descriptor(
      String name, PlatformRegistry.Registration registration) {
    Path workDir = registration.workingDirectory();
    Path descriptorFile = workDir.resolve("upshift.yaml");
    Optional<DescriptorFolder> folder = DescriptorFolder.of(registration, name);
    String fromFolder = "";
    if (folder.isPresent()) {
      Optional<Version> installed = checkedOutVersion(workDir, registration.tags());
      if (installed.isPresent()) {
        Optional<PlatformDescriptor> d = folder.get().read(installed.get());
        if (d.isPresent()) {
          return d.get();
        }
        fromFolder =
            " (the working directory is at release "
                + installed.get()
                + ", which has no descriptor in "
                + folder.get().path()
                + ")";
      } else {
        fromFolder =
            " (the working directory's git HEAD is at no release tag named "
                + registration.tags()
                + ", so the descriptor folder "
                + folder.get().path()
                + " cannot tell which release is installed)";
      }
    }
    try {
      return DescriptorReader.read(Files.readString(descriptorFile), descriptorFile.toString());
    } catch (NoSuchFileException e) {
      throw new DescriptorException(
          "Cannot read the installed release of "
              + name
              + ": "
              + descriptorFile
              + " does not exist"
              + fromFolder
              + ". Is the platform checked out in its working directory?",
          e);
    } catch (IOException e) {
      throw new DescriptorException(
          "Cannot read the installed release of " + name + " in " + workDir + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * The version of the release tag the git checkout in {@code workDir} is at (the highest when
   * several tags point at its HEAD), or empty when it is no git checkout or at no release tag.
   */
  static Optional<Version> checkedOutVersion(Path workDir, TagPattern tags) {
    if (!Files.isDirectory(workDir.resolve(".git"))) {
      return Optional.empty();
    }
    try (Repository repo =
        new FileRepositoryBuilder()
            .setWorkTree(workDir.toFile())
            .setGitDir(workDir.resolve(".git").toFile())
            .build()) {
      ObjectId head = repo.resolve(Constants.HEAD);
      if (head == null) {
        return Optional.empty();
      }
      Optional<Version> best = Optional.empty();
      for (Ref tag : repo.getRefDatabase().getRefsByPrefix(Constants.R_TAGS)) {
        Ref peeled = repo.getRefDatabase().peel(tag);
        ObjectId commit =
            peeled.getPeeledObjectId() != null ? peeled.getPeeledObjectId() : peeled.getObjectId();
        if (!head.equals(commit)) {
          continue;
        }
        Optional<Version> v = tags.version(tag.getName().substring(Constants.R_TAGS.length()));
        if (v.isPresent() && (best.isEmpty() || v.get().compareTo(best.get()) > 0)) {
          best = v;
        }
      }
      return best;
    } catch (IOException e) {
      throw new DescriptorException(
          "Cannot read the git checkout in " + workDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first database (version 1: the only one). Steps that handle every database iterate {@link
   * PlatformDescriptor#databases()} instead.
   */
  public PlatformDescriptor.Database database() {
    if (descriptor.databases().isEmpty()) {
      throw new DescriptorException(name + " has no database in its descriptor (upshift.yaml)");
    }
    return descriptor.databases().get(0);
  }

  public String databaseName() {
    return database().resolveName(env);
  }

  public String databaseUser() {
    return database().resolveUser(env);
  }

  public String databasePassword() {
    return database().resolvePassword(env);
  }

  /**
   * JDBC URL of the first database as published on the host (version 1). Version 2 databases are
   * reached through their containers: {@link DatabaseEndpoints}.
   */
  public String jdbcUrl() {
    var db = database();
    if (!db.publishedOnHost()) {
      throw new IllegalStateException(
          "databases[" + db.id() + "] is reached through its container: use DatabaseEndpoints");
    }
    String host = db.host() == null ? "127.0.0.1" : db.host();
    return "jdbc:postgresql://" + host + ":" + db.resolvePort(env) + "/" + databaseName();
  }
}
