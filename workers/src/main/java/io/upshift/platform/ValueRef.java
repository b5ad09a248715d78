package io.upshift.platform;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.util.Iterator;

/**
 * A descriptor value that is either written in the descriptor ({@code name: ledger}, {@code port:
 * 5432}) or read from the platform's .env by reference ({@code user: { env: LEDGER_DB_USER }}).
 * References keep credentials in the .env: Upshift resolves them when it connects and never copies
 * them into process variables.
 */
@JsonDeserialize(using = ValueRef.Reader.class)
public record ValueRef(String literal, String env) {

  public static ValueRef literal(String value) {
    return new ValueRef(value, null);
  }

  public static ValueRef env(String variable) {
    return new ValueRef(null, variable);
  }

  public boolean isReference() {
    return env != null;
  }

  /**
   * @param field the descriptor field, for the message when the .env lacks the variable
   */
  public String resolve(EnvFile file, String field) {
    if (env == null) {
      return literal;
    }
    String value = file.values().get(env);
    if (value == null || value.isBlank()) {
      throw new DescriptorException(
          field + " refers to " + env + ", which the platform's .env does not set");
    }
    return value;
  }

  @Override
  public String toString() {
    return env == null ? literal : "{env: " + env + "}";
  }

  /** Scalars are literals; a mapping must be exactly {@code {env: NAME}}. */
  static final class Reader extends JsonDeserializer<ValueRef> {

    @Override
    public ValueRef deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      JsonToken token = parser.currentToken();
      if (token.isScalarValue() && token != JsonToken.VALUE_NULL) {
        return literal(parser.getValueAsString());
      }
      if (token == JsonToken.START_OBJECT) {
        JsonNode node = parser.readValueAsTree();
        Iterator<String> names = node.fieldNames();
        JsonNode env = node.get("env");
        boolean onlyEnv = names.hasNext() && "env".equals(names.next()) && !names.hasNext();
        if (onlyEnv && env.isTextual() && env.asText().matches("[A-Za-z_][A-Za-z0-9_]*")) {
          return env(env.asText());
        }
        return context.reportInputMismatch(
            ValueRef.class,
            "expected a literal value or {env: VARIABLE_NAME} (a variable of the platform's .env),"
                + " was "
                + node);
      }
      return context.reportInputMismatch(
          ValueRef.class,
          "expected a literal value or {env: VARIABLE_NAME}, was " + token.asString());
    }
  }
}
