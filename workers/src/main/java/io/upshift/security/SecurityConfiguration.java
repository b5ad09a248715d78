package io.upshift.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.security.servlet.EndpointRequest;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.info.InfoEndpoint;
import org.springframework.boot.actuate.metrics.export.prometheus.PrometheusScrapeEndpoint;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.ExceptionMappingAuthenticationFailureHandler;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

/**
 * Who may call what. Users and roles come from configuration ({@link UpshiftSecurityProperties});
 * OIDC login is an option. Two filter chains:
 *
 * <p><b>API</b> ({@code /api/**}, actuator, the OpenAPI document): HTTP Basic or a bearer token on
 * every request, no session, so no CSRF protection is needed (nothing rides on a cookie; the
 * state-changing endpoints take {@code application/json} only, which a foreign page cannot send
 * cross-origin without a CORS preflight that Upshift does not allow). Errors are problem+json.
 *
 * <ul>
 *   <li>{@code /actuator/health/**}, {@code /actuator/info}, {@code /actuator/prometheus}, the
 *       OpenAPI document: open, so load balancers and Prometheus need no credentials;
 *   <li>{@code GET /api/**}: VIEWER (or any role implying it);
 *   <li>{@code POST /api/runs}, {@code POST /api/runs/{id}/cancel}, {@code POST
 *       /api/runs/{id}/abandon}, {@code .../resume}, {@code .../rollback}: OPERATOR;
 *   <li>{@code POST /api/approvals/{id}/decision}: APPROVER (and not the run's requester, which the
 *       approval service checks, since it needs the run);
 *   <li>any other {@code /api} call is denied until a rule here names it.
 * </ul>
 *
 * <p><b>Console</b> (everything else): form login (and OIDC login when a client is registered), a
 * session cookie, and therefore CSRF tokens on every form. Starting, cancelling and abandoning a
 * run needs OPERATOR, deciding an approval APPROVER, every page VIEWER.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

  private static final Logger log = LoggerFactory.getLogger(SecurityConfiguration.class);

  @Bean
  PasswordEncoder passwordEncoder() {
    return new BCryptPasswordEncoder();
  }

  @Bean
  UserDetailsService upshiftUsers(UpshiftSecurityProperties properties) {
    List<UserDetails> users =
        properties.users().stream()
            .map(
                user ->
                    User.withUsername(user.name())
                        .password(user.passwordHash())
                        .authorities(
                            user.roles().stream().map(Role::authority).toArray(String[]::new))
                        .build())
            .toList();
    if (users.isEmpty()) {
      log.warn(
          "No users configured (upshift.security.users): only OIDC logins (if configured) get in."
              + " Configure users, or start with --spring.profiles.active=demo for the demo users.");
    } else {
      log.info(
          "{} user(s) configured: {}",
          users.size(),
          users.stream().map(UserDetails::getUsername).toList());
    }
    return new InMemoryUserDetailsManager(users);
  }

  /** ADMIN implies OPERATOR and APPROVER; each of those implies VIEWER. */
  @Bean
  static RoleHierarchy roleHierarchy() {
    return RoleHierarchyImpl.withDefaultRolePrefix()
        .role(Role.ADMIN.name())
        .implies(Role.OPERATOR.name(), Role.APPROVER.name())
        .role(Role.OPERATOR.name())
        .implies(Role.VIEWER.name())
        .role(Role.APPROVER.name())
        .implies(Role.VIEWER.name())
        .build();
  }

  @Bean
  @Order(1)
  SecurityFilterChain api(
      HttpSecurity http,
      ObjectMapper json,
      UpshiftSecurityProperties properties,
      SignInLockout lockout)
      throws Exception {
    ProblemResponses problems = new ProblemResponses(json);
    http.securityMatcher(
            new OrRequestMatcher(
                PathPatternRequestMatcher.withDefaults().matcher("/api/**"),
                PathPatternRequestMatcher.withDefaults().matcher("/v3/api-docs/**"),
                EndpointRequest.toAnyEndpoint()))
        .authorizeHttpRequests(
            requests ->
                requests
                    .requestMatchers(
                        EndpointRequest.to(
                            HealthEndpoint.class,
                            InfoEndpoint.class,
                            PrometheusScrapeEndpoint.class))
                    .permitAll()
                    .requestMatchers("/v3/api-docs/**")
                    .permitAll()
                    .requestMatchers(
                        HttpMethod.POST,
                        "/api/runs",
                        "/api/runs/*/cancel",
                        "/api/runs/*/abandon",
                        "/api/runs/*/resume",
                        "/api/runs/*/rollback")
                    .hasRole(Role.OPERATOR.name())
                    .requestMatchers(HttpMethod.POST, "/api/approvals/*/decision")
                    .hasRole(Role.APPROVER.name())
                    .requestMatchers(HttpMethod.GET, "/api/**")
                    .hasRole(Role.VIEWER.name())
                    .anyRequest()
                    .denyAll())
        .authenticationProvider(lockout.guard())
        .addFilterBefore(
            new BearerTokenFilter(properties, problems), BasicAuthenticationFilter.class)
        .httpBasic(
            basic -> basic.realmName(ProblemResponses.REALM).authenticationEntryPoint(problems))
        .exceptionHandling(
            errors -> errors.authenticationEntryPoint(problems).accessDeniedHandler(problems))
        .sessionManagement(
            sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .csrf(AbstractHttpConfigurer::disable)
        .formLogin(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable);
    return http.build();
  }

  @Bean
  @Order(2)
  SecurityFilterChain console(
      HttpSecurity http,
      ObjectProvider<ClientRegistrationRepository> oidcClients,
      UpshiftSecurityProperties properties,
      SignInLockout lockout)
      throws Exception {
    http.authenticationProvider(lockout.guard())
        .authorizeHttpRequests(
            requests ->
                requests
                    .requestMatchers("/login", "/webjars/**", "/console/**", "/favicon.ico")
                    .permitAll()
                    // Errors forwarded by the servlet container keep their real status.
                    .requestMatchers("/error")
                    .permitAll()
                    .requestMatchers(
                        HttpMethod.POST,
                        "/runs",
                        "/runs/*/cancel",
                        "/runs/*/abandon",
                        "/runs/*/resume",
                        "/runs/*/rollback")
                    .hasRole(Role.OPERATOR.name())
                    .requestMatchers("/runs/new")
                    .hasRole(Role.OPERATOR.name())
                    .requestMatchers(HttpMethod.POST, "/inbox/*/decision")
                    .hasRole(Role.APPROVER.name())
                    .anyRequest()
                    .hasRole(Role.VIEWER.name()))
        .formLogin(
            form ->
                form.loginPage("/login")
                    .defaultSuccessUrl("/", false)
                    .failureHandler(lockedOrWrong())
                    .permitAll())
        .logout(logout -> logout.logoutSuccessUrl("/login?signedOut"));
    ClientRegistrationRepository clients = oidcClients.getIfAvailable();
    if (clients != null) {
      log.info(
          "OIDC login enabled; roles come from the claim '{}'", properties.oidc().rolesClaim());
      OidcUserService users = new OidcUserService();
      Set<String> localNames = properties.userNames();
      http.oauth2Login(
          oidc ->
              oidc.loginPage("/login")
                  .defaultSuccessUrl("/", false)
                  .userInfoEndpoint(
                      info ->
                          info.oidcUserService(
                                  request -> notLocal(users.loadUser(request), localNames))
                              .userAuthoritiesMapper(
                                  new OidcRoleMapper(
                                      properties.oidc().rolesClaim(),
                                      properties.oidc().rolePrefix()))));
    }
    return http.build();
  }

  /** A locked user learns so on the login page; any other failure is "wrong name or password". */
  private static ExceptionMappingAuthenticationFailureHandler lockedOrWrong() {
    ExceptionMappingAuthenticationFailureHandler handler =
        new ExceptionMappingAuthenticationFailureHandler();
    handler.setDefaultFailureUrl("/login?error");
    handler.setExceptionMappings(Map.of(LockedException.class.getName(), "/login?locked"));
    return handler;
  }

  /**
   * An OIDC user named like a configured local user is refused: requestedBy, separation of duties
   * and the audit trail know users by name only, so the two must never be mistaken for each other.
   */
  static OidcUser notLocal(OidcUser user, Set<String> localNames) {
    if (localNames.contains(user.getName())) {
      throw new OAuth2AuthenticationException(
          new OAuth2Error(
              "invalid_user",
              "the identity provider's user name '"
                  + user.getName()
                  + "' is also a local user (upshift.security.users); rename one of them",
              null));
    }
    return user;
  }
}
