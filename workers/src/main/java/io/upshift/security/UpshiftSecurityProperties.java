package io.upshift.security;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Who may use Upshift ({@code upshift.security}). Passwords are stored as bcrypt hashes only, e.g.
 * made with {@code htpasswd -nbBC 10 "" 'the-password' | cut -d: -f2}; API tokens as their SHA-256
 * only. Without users every request is refused (health, info and metrics stay open), unless OIDC
 * login is configured.
 *
 * @param users the accounts; names and tokens are unique
 * @param oidc how OIDC logins get their roles (used only when an OIDC client is registered under
 *     {@code spring.security.oauth2.client.registration})
 * @param lockout how many refused passwords lock a configured user out for a while
 */
@ConfigurationProperties("upshift.security")
public record UpshiftSecurityProperties(List<User> users, Oidc oidc, Lockout lockout) {

  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]?\\$\\d{2}\\$[./A-Za-z0-9]{53}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  public UpshiftSecurityProperties {
    users = users == null ? List.of() : List.copyOf(users);
    oidc = oidc == null ? new Oidc(null, null) : oidc;
    lockout = lockout == null ? new Lockout(null, null, null) : lockout;
    Set<String> names = new HashSet<>();
    Set<String> tokens = new HashSet<>();
    for (User user : users) {
      if (!names.add(user.name())) {
        throw new IllegalArgumentException("user name '" + user.name() + "' is configured twice");
      }
      if (user.apiTokenSha256() != null && !tokens.add(user.apiTokenSha256())) {
        throw new IllegalArgumentException(
            "api-token-sha256 of user '" + user.name() + "' is already another user's token");
      }
    }
  }

  /** The configured users' names. */
  public Set<String> userNames() {
    return users.stream().map(User::name).collect(java.util.stream.Collectors.toUnmodifiableSet());
  }

  /**
   * Guessing passwords: after {@code attempts} refused passwords for one configured user within
   * {@code window}, that user's sign-ins (console and API Basic) are refused for {@code duration},
   * even with the right password. Bearer tokens are not affected (they cannot be guessed).
   *
   * @param attempts refused passwords that lock; default 5, from 1 to 100
   * @param window how far back refusals count; default 5 minutes
   * @param duration how long the lock holds; default 5 minutes
   */
  public record Lockout(Integer attempts, java.time.Duration window, java.time.Duration duration) {
    public Lockout {
      attempts = attempts == null ? 5 : attempts;
      window = window == null ? java.time.Duration.ofMinutes(5) : window;
      duration = duration == null ? java.time.Duration.ofMinutes(5) : duration;
      if (attempts < 1 || attempts > 100) {
        throw new IllegalArgumentException(
            "upshift.security.lockout.attempts must be between 1 and 100");
      }
      if (window.isNegative() || window.isZero() || duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(
            "upshift.security.lockout.window and .duration must be positive durations, e.g. 5m");
      }
    }
  }

  /**
   * Roles of OIDC users: the values of one claim of the ID token (or user info) that name a role
   * (VIEWER, OPERATOR, APPROVER, ADMIN; case-insensitive) become that role; other values are
   * ignored, and a user without any gets no access.
   *
   * @param rolesClaim the claim holding a list of role names; default {@code roles}
   * @param rolePrefix what a value must start with to name a role, e.g. {@code upshift-} so that
   *     only {@code upshift-approver} (not a directory group called "Admin") grants APPROVER;
   *     default none
   */
  public record Oidc(String rolesClaim, String rolePrefix) {
    public Oidc {
      rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "roles" : rolesClaim.strip();
      rolePrefix = rolePrefix == null ? "" : rolePrefix.strip();
    }
  }

  /**
   * One account.
   *
   * @param name the login name; also what the run journal records as {@code requestedBy}
   * @param passwordHash bcrypt hash of the password ({@code $2a$}, {@code $2b$} or {@code $2y$})
   * @param roles at least one of VIEWER, OPERATOR, APPROVER, ADMIN
   * @param apiTokenSha256 optional: the SHA-256 (lower-case hex) of a bearer token for the API,
   *     e.g. {@code openssl rand -hex 32} as the token and {@code printf %s "$TOKEN" | sha256sum}
   *     as this
   */
  public record User(String name, String passwordHash, Set<Role> roles, String apiTokenSha256) {

    public User {
      if (name == null || name.isBlank() || !name.equals(name.strip()) || name.contains(":")) {
        throw new IllegalArgumentException(
            "name is required: a login without surrounding spaces or ':'");
      }
      if (passwordHash == null || !BCRYPT.matcher(passwordHash).matches()) {
        throw new IllegalArgumentException(
            "password-hash of user '"
                + name
                + "' must be a bcrypt hash like $2a$10$... (never a plain password)");
      }
      if (roles == null || roles.isEmpty()) {
        throw new IllegalArgumentException(
            "roles of user '"
                + name
                + "' must name at least one of VIEWER, OPERATOR, APPROVER, ADMIN");
      }
      roles = Set.copyOf(roles);
      if (apiTokenSha256 != null && !SHA256_HEX.matcher(apiTokenSha256).matches()) {
        throw new IllegalArgumentException(
            "api-token-sha256 of user '"
                + name
                + "' must be 64 lower-case hex digits (the SHA-256 of the token, never the token)");
      }
    }
  }
}
