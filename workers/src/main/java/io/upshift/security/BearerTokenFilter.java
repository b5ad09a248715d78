package io.upshift.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.http.HttpHeaders;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * {@code Authorization: Bearer <token>} for the API: the token's SHA-256 must equal a configured
 * user's {@code api-token-sha256}; the request then runs as that user with that user's roles. An
 * unknown token is answered 401 at once, never passed on as anonymous.
 */
class BearerTokenFilter extends OncePerRequestFilter {

  private static final String PREFIX = "Bearer ";

  private final Map<String, UpshiftSecurityProperties.User> byTokenHash;
  private final AuthenticationEntryPoint entryPoint;

  BearerTokenFilter(UpshiftSecurityProperties properties, AuthenticationEntryPoint entryPoint) {
    this.byTokenHash =
        properties.users().stream()
            .filter(user -> user.apiTokenSha256() != null)
            .collect(
                Collectors.toMap(
                    UpshiftSecurityProperties.User::apiTokenSha256, Function.identity()));
    this.entryPoint = entryPoint;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
      chain.doFilter(request, response);
      return;
    }
    UpshiftSecurityProperties.User user =
        byTokenHash.get(sha256(header.substring(PREFIX.length()).strip()));
    if (user == null) {
      SecurityContextHolder.clearContext();
      entryPoint.commence(
          request, response, new BadCredentialsException("unknown or revoked bearer token"));
      return;
    }
    var authentication =
        UsernamePasswordAuthenticationToken.authenticated(
            user.name(),
            null,
            AuthorityUtils.createAuthorityList(
                user.roles().stream().map(Role::authority).toArray(String[]::new)));
    var context = SecurityContextHolder.createEmptyContext();
    context.setAuthentication(authentication);
    SecurityContextHolder.setContext(context);
    chain.doFilter(request, response);
  }

  static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
