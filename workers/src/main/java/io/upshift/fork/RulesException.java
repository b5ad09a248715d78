package io.upshift.fork;

/**
 * The rules file is unusable; the message names the file, the line and the field, e.g. {@code
 * fork/upgrade-rules.yaml line 9: rules[1].decision: 'theirs' is not one of accept-upstream,
 * keep-ours, manual}.
 */
public class RulesException extends RuntimeException {

  private final int line;
  private final String field;

  RulesException(String file, int line, String field, String problem) {
    super(file + " line " + line + ": " + field + ": " + problem);
    this.line = line;
    this.field = field;
  }

  public int line() {
    return line;
  }

  public String field() {
    return field;
  }
}
