package io.upshift.support;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A minimal OpenID Connect provider on the loopback interface for sign-in tests: the authorization
 * code flow with RS256-signed ID tokens and a JWKS endpoint, for one user whose claims the test
 * chooses. It signs every authorization request in as that user at once (no login page): what is
 * under test is Upshift's side of the flow, with Spring Security's real OAuth2 client.
 */
public final class TestOidcProvider implements AutoCloseable {

  public static final String CLIENT_ID = "upshift";
  public static final String CLIENT_SECRET = "test-secret";

  private final HttpServer server;
  private final RSAKey key;
  private final Map<String, Object> claims;
  private final Map<String, String> nonceByCode = new ConcurrentHashMap<>();

  /**
   * @param claims the user's claims, e.g. {@code sub}, {@code preferred_username}, {@code roles}
   */
  public TestOidcProvider(Map<String, Object> claims) {
    this.claims = Map.copyOf(claims);
    try {
      key = new RSAKeyGenerator(2048).keyID("test-key").generate();
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new IllegalStateException(e);
    }
    server.createContext("/authorize", this::authorize);
    server.createContext("/token", this::token);
    server.createContext("/jwks", this::jwks);
    server.start();
  }

  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Spring Boot properties registering this provider as OIDC client {@code registrationId}. */
  public Map<String, String> properties(String registrationId, String clientName) {
    String client = "spring.security.oauth2.client.registration." + registrationId + ".";
    String provider = "spring.security.oauth2.client.provider." + registrationId + ".";
    Map<String, String> properties = new HashMap<>();
    properties.put(client + "client-name", clientName);
    properties.put(client + "client-id", CLIENT_ID);
    properties.put(client + "client-secret", CLIENT_SECRET);
    properties.put(client + "scope", "openid");
    properties.put(client + "authorization-grant-type", "authorization_code");
    properties.put(client + "redirect-uri", "{baseUrl}/login/oauth2/code/{registrationId}");
    properties.put(provider + "authorization-uri", base() + "/authorize");
    properties.put(provider + "token-uri", base() + "/token");
    properties.put(provider + "jwk-set-uri", base() + "/jwks");
    properties.put(provider + "user-name-attribute", "preferred_username");
    return properties;
  }

  private void authorize(HttpExchange exchange) throws IOException {
    Map<String, String> query = form(exchange.getRequestURI().getRawQuery());
    String code = UUID.randomUUID().toString();
    nonceByCode.put(code, query.getOrDefault("nonce", ""));
    String location =
        query.get("redirect_uri")
            + "?code="
            + code
            + "&state="
            + URLEncoder.encode(query.get("state"), StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Location", location);
    exchange.sendResponseHeaders(302, -1);
    exchange.close();
  }

  private void token(HttpExchange exchange) throws IOException {
    Map<String, String> body =
        form(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    String nonce = nonceByCode.remove(body.get("code"));
    if (nonce == null) {
      send(exchange, 400, "{\"error\":\"invalid_grant\"}");
      return;
    }
    Instant now = Instant.now();
    JWTClaimsSet.Builder idToken =
        new JWTClaimsSet.Builder()
            .issuer(base())
            .audience(CLIENT_ID)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)));
    if (!nonce.isEmpty()) {
      idToken.claim("nonce", nonce);
    }
    claims.forEach(idToken::claim);
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.RS256)
                  .keyID(key.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              idToken.build());
      jwt.sign(new RSASSASigner(key));
      send(
          exchange,
          200,
          "{\"access_token\":\""
              + UUID.randomUUID()
              + "\",\"token_type\":\"Bearer\",\"expires_in\":300,\"scope\":\"openid\","
              + "\"id_token\":\""
              + jwt.serialize()
              + "\"}");
    } catch (com.nimbusds.jose.JOSEException e) {
      send(exchange, 500, "{\"error\":\"server_error\"}");
    }
  }

  private void jwks(HttpExchange exchange) throws IOException {
    send(exchange, 200, new JWKSet(List.of(key.toPublicJWK())).toString());
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static Map<String, String> form(String raw) {
    Map<String, String> values = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return values;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      values.put(
          URLDecoder.decode(name, StandardCharsets.UTF_8),
          URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return values;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
