package io.upshift.support;

import org.springframework.boot.test.web.client.TestRestTemplate;

/**
 * The users of the {@code test-users} profile (src/test/resources/application-test-users.yaml).
 * Activate it with the property {@link #PROFILE} on {@code @SpringBootTest}.
 */
public final class TestUsers {

  public static final String PROFILE = "spring.profiles.active=test-users";

  /** OPERATOR, VIEWER. */
  public static final String OPERATOR = "operator";

  /** APPROVER, VIEWER. */
  public static final String APPROVER = "approver";

  /** VIEWER only. */
  public static final String VIEWER = "viewer";

  /** ADMIN (implies every other role). */
  public static final String ADMIN = "admin";

  private TestUsers() {}

  /** Every test user's password is its name followed by {@code -it}. */
  public static String password(String user) {
    return user + "-it";
  }

  public static TestRestTemplate as(TestRestTemplate rest, String user) {
    return rest.withBasicAuth(user, password(user));
  }
}
