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

  public PlatformDescriptor.Database database() {
    if (descriptor.database() == null) {
      throw new DescriptorException(name + " has no database in its descriptor (upshift.yaml)");
    }
    return descriptor.database();
  }

  public String databaseName() {
    return env.require(database().variables().name());
  }

  public String databaseUser() {
    return env.require(database().variables().user());
  }

  public String databasePassword() {
    return env.require(database().variables().password());
  }

  /** JDBC URL of the platform database as published on the host. */
  public String jdbcUrl() {
    String host = database().host() == null ? "127.0.0.1" : database().host();
    return "jdbc:postgresql://"
        + host
        + ":"
        + env.require(database().variables().port())
        + "/"
        + databaseName();
  }
}
