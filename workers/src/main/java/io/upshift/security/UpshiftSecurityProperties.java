package io.upshift.security;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Who may use Upshift's API ({@code upshift.security.users}). Passwords are stored as bcrypt hashes
 * only, e.g. made with {@code htpasswd -nbBC 10 "" 'the-password' | cut -d: -f2}. Without users
 * every API request is refused (health, info and metrics stay open).
 *
 * @param users the accounts; names are unique
 */
@ConfigurationProperties("upshift.security")
public record UpshiftSecurityProperties(List<User> users) {

  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]?\\$\\d{2}\\$[./A-Za-z0-9]{53}");

  public UpshiftSecurityProperties {
    users = users == null ? List.of() : List.copyOf(users);
    Set<String> names = new HashSet<>();
    for (User user : users) {
      if (!names.add(user.name())) {
        throw new IllegalArgumentException("user name '" + user.name() + "' is configured twice");
      }
    }
  }

  /**
   * One account.
   *
   * @param name the login name; also what the run journal records as {@code requestedBy}
   * @param passwordHash bcrypt hash of the password ({@code $2a$}, {@code $2b$} or {@code $2y$})
   * @param roles at least one of VIEWER, OPERATOR, APPROVER, ADMIN
   */
  public record User(String name, String passwordHash, Set<Role> roles) {

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
    }
  }
}
