package io.upshift.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI description of Upshift's REST API, served at {@code /v3/api-docs} and checked into
 * docs/openapi.json (OpenApiDocumentIT fails when the two differ). The server is relative, so the
 * document is the same whatever host and port serve it.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

  @Bean
  OpenAPI upshiftApi() {
    return new OpenAPI()
        .info(
            new Info()
                .title("Upshift API")
                .version("1")
                .description(
                    "Start and follow runbook runs, decide approval tasks, read upgrade records,"
                        + " the backups catalog and the audit trail. Errors are"
                        + " application/problem+json; a 400 names each bad field in errors[].field."))
        .servers(List.of(new Server().url("/")))
        .components(
            new Components()
                .addSecuritySchemes(
                    "basic", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("basic"))
                .addSecuritySchemes(
                    "bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")))
        .addSecurityItem(new SecurityRequirement().addList("basic"))
        .addSecurityItem(new SecurityRequirement().addList("bearer"));
  }
}
