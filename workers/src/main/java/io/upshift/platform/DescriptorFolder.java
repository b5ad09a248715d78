package io.upshift.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The operator's folder of descriptors, one per version, for platforms whose releases ship none:
 * {@code <folder>/<version>/upshift.yaml} or {@code <folder>/<version>.yaml}. A descriptor found
 * here wins over the one in the release tag.
 */
final class DescriptorFolder {

  private final Path folder;

  private DescriptorFolder(Path folder) {
    this.folder = folder;
  }

  /** The registration's folder, or empty when the platform's descriptors come from its tags. */
  static Optional<DescriptorFolder> of(PlatformRegistry.Registration registration, String name) {
    if (registration.descriptors() == null) {
      return Optional.empty();
    }
    Path folder = registration.descriptors();
    if (!Files.isDirectory(folder)) {
      throw new DescriptorException(
          "upshift.platforms."
              + name
              + ".descriptors: "
              + folder
              + " is not a directory (a folder holding <version>/upshift.yaml or <version>.yaml"
              + " per release)");
    }
    return Optional.of(new DescriptorFolder(folder));
  }

  Path path() {
    return folder;
  }

  /** The file holding {@code version}'s descriptor, or empty when the folder has none for it. */
  Optional<Path> file(Version version) {
    Path nested = folder.resolve(version.toString()).resolve("upshift.yaml");
    Path flat = folder.resolve(version + ".yaml");
    if (Files.isRegularFile(nested) && Files.isRegularFile(flat)) {
      throw new DescriptorException(
          "Two descriptors of version "
              + version
              + ": "
              + nested
              + " and "
              + flat
              + "; keep one ("
              + "<version>/upshift.yaml or <version>.yaml)");
    }
    return Files.isRegularFile(nested)
        ? Optional.of(nested)
        : Files.isRegularFile(flat) ? Optional.of(flat) : Optional.empty();
  }

  /**
   * Reads {@code version}'s descriptor from this folder, or empty when the folder has none for it.
   * A descriptor whose {@code platform.version} is another version is an error naming the file.
   */
  Optional<PlatformDescriptor> read(Version version) {
    Optional<Path> file = file(version);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    String source = file.get().toString();
    try {
      PlatformDescriptor descriptor = DescriptorReader.read(Files.readString(file.get()), source);
      if (!descriptor.version().equals(version)) {
        throw new DescriptorException(
            source
                + ": platform.version is "
                + descriptor.platform().version()
                + " but the file is the descriptor of version "
                + version
                + " (by its place in "
                + folder
                + ")");
      }
      return Optional.of(descriptor);
    } catch (IOException e) {
      throw new DescriptorException("Cannot read " + source + ": " + e.getMessage(), e);
    }
  }

  /**
   * Entries of the folder that name no version (neither {@code <version>/} nor {@code
   * <version>.yaml}): a misnamed descriptor would otherwise be ignored silently.
   */
  java.util.List<String> strayEntries() {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries
          .filter(
              p -> {
                String n = p.getFileName().toString();
                if (n.startsWith(".") || n.equalsIgnoreCase("README.md")) {
                  return false;
                }
                String v =
                    Files.isDirectory(p)
                        ? n
                        : n.endsWith(".yaml") ? n.substring(0, n.length() - 5) : null;
                return v == null || !Version.isVersion(v) || v.startsWith("v");
              })
          .map(Path::toString)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new DescriptorException("Cannot list " + folder + ": " + e.getMessage(), e);
    }
  }
}
