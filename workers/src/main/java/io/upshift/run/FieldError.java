package io.upshift.run;

/**
 * One rejected input: the field's path (e.g. {@code variables.checks[0].url}) and what is allowed.
 */
public record FieldError(String field, String message) {}
