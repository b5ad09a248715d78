package io.upshift.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
    Path descriptorFile = workDir.resolve("upshift.yaml");
    try {
      PlatformDescriptor descriptor =
          DescriptorReader.read(Files.readString(descriptorFile), descriptorFile.toString());
      String envName =
          descriptor.compose().envFile() == null ? ".env" : descriptor.compose().envFile();
      return new InstalledPlatform(
          name, registration, descriptor, EnvFile.read(workDir.resolve(envName)));
    } catch (IOException e) {
      throw new DescriptorException(
          "Cannot read the installed release of " + name + " in " + workDir + ": " + e.getMessage(),
          e);
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
