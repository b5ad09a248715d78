package io.upshift.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.upshift.support.TestUsers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.client.TestRestTemplate;

/**
 * The API description served by the service equals docs/openapi.json, so the checked-in document
 * never drifts from the code. After an intended API change, regenerate it with {@code ./mvnw -pl
 * workers -am verify -Dit.test=OpenApiDocumentIT -Dupshift.openapi.write=true} and review the diff.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "upshift.engine.port=0",
      "upshift.data-dir=target/it-data/openapi",
      TestUsers.PROFILE
    })
class OpenApiDocumentIT {

  static final Path DOCUMENT = Paths.get("..", "docs", "openapi.json");

  @Autowired TestRestTemplate rest;

  @Test
  void servedDocumentEqualsTheCheckedInOne() throws Exception {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    // Open without credentials, like health and metrics.
    JsonNode served = json.readTree(rest.getForObject("/v3/api-docs", String.class));
    assertThat(served.path("paths").has("/api/runs")).isTrue();
    assertThat(served.path("paths").has("/api/approvals/{id}/decision")).isTrue();
    assertThat(served.path("paths").has("/api/runs/{id}/record")).isTrue();
    String text = json.writeValueAsString(served) + "\n";
    if (Boolean.getBoolean("upshift.openapi.write")) {
      Files.writeString(DOCUMENT, text);
    }
    assertThat(Files.exists(DOCUMENT))
        .as("docs/openapi.json exists (generate it with -Dupshift.openapi.write=true)")
        .isTrue();
    assertThat(json.readTree(Files.readString(DOCUMENT)))
        .as(
            "docs/openapi.json is out of date: regenerate it with -Dit.test=OpenApiDocumentIT"
                + " -Dupshift.openapi.write=true and commit the diff")
        .isEqualTo(served);
  }
}
