package io.upshift.platform;

/** A platform descriptor that cannot be read or breaks the schema; the message names the field. */
public class DescriptorException extends RuntimeException {

  public DescriptorException(String message) {
    super(message);
  }

  public DescriptorException(String message, Throwable cause) {
    super(message, cause);
  }
}
