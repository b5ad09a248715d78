package io.upshift.security;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.autoconfigure.security.servlet.EndpointRequest;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.info.InfoEndpoint;
import org.springframework.boot.actuate.metrics.export.prometheus.PrometheusScrapeEndpoint;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Who may call what. Users and roles come from configuration ({@link UpshiftSecurityProperties});
 * the API uses HTTP Basic on every request and keeps no session.
 *
 * <ul>
 *   <li>{@code /actuator/health/**}, {@code /actuator/info}, {@code /actuator/prometheus}: open, so
 *       load balancers and Prometheus scrape without credentials;
 *   <li>{@code GET /api/**}: VIEWER (or any role implying it);
 *   <li>{@code POST /api/runs}: OPERATOR;
 *   <li>{@code POST /api/approvals/{id}/decision}: APPROVER (and not the run's requester, which the
 *       approval service checks, since it needs the run);
 *   <li>any other {@code /api} call is denied until a rule here names it; everything else needs a
 *       signed-in user.
 * </ul>
 *
 * CSRF protection is off: it defends cookie-based sessions, and the API has none (stateless, the
 * credentials travel in the Authorization header of each request). The state-changing endpoints
 * accept only {@code application/json} bodies, which a foreign web page cannot send cross-origin
 * without a CORS preflight that Upshift does not allow. A cookie-based web console would need CSRF
 * protection turned on for its own paths.
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
          "No users configured (upshift.security.users): the API refuses every request."
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
  SecurityFilterChain api(HttpSecurity http, ObjectMapper json) throws Exception {
    ProblemResponses problems = new ProblemResponses(json);
    http.authorizeHttpRequests(
            requests ->
                requests
                    .requestMatchers(
                        EndpointRequest.to(
                            HealthEndpoint.class,
                            InfoEndpoint.class,
                            PrometheusScrapeEndpoint.class))
                    .permitAll()
                    // Errors forwarded by the servlet container keep their real status.
                    .requestMatchers("/error")
                    .permitAll()
                    .requestMatchers(HttpMethod.POST, "/api/runs")
                    .hasRole(Role.OPERATOR.name())
                    .requestMatchers(HttpMethod.POST, "/api/approvals/*/decision")
                    .hasRole(Role.APPROVER.name())
                    .requestMatchers(HttpMethod.GET, "/api/**")
                    .hasRole(Role.VIEWER.name())
                    .requestMatchers("/api/**")
                    .denyAll()
                    .anyRequest()
                    .authenticated())
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
}
