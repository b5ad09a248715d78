package io.upshift.platform;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * JDBC connections Upshift opens to a platform's databases, always with a connect and a socket
 * timeout: a database that stops answering fails the step with a message (and the job's retries)
 * instead of blocking a worker thread for ever. PostgreSQL driver properties; values in the JDBC
 * URL (e.g. {@code ?socketTimeout=0}) take precedence, so an operator can still lift them.
 */
public final class PlatformConnections {

  /** How long opening a connection may take (TCP connect and authentication). */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * How long one read may wait for the server. Generous: row counts and checks on large tables take
   * a while; a dead server is what this catches.
   */
  public static final Duration SOCKET_TIMEOUT = Duration.ofMinutes(5);

  private PlatformConnections() {}

  /** Opens a connection with {@link #CONNECT_TIMEOUT} and {@link #SOCKET_TIMEOUT}. */
  public static Connection open(String url, String user, String password) throws SQLException {
    return open(url, user, password, SOCKET_TIMEOUT);
  }

  /** Opens a connection with {@link #CONNECT_TIMEOUT} and the given socket timeout. */
  public static Connection open(String url, String user, String password, Duration socketTimeout)
      throws SQLException {
    return DriverManager.getConnection(url, properties(user, password, socketTimeout));
  }

  static Properties properties(String user, String password, Duration socketTimeout) {
    if (socketTimeout.isNegative() || socketTimeout.isZero()) {
      throw new IllegalArgumentException("socketTimeout must be positive: " + socketTimeout);
    }
    Properties properties = new Properties();
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    properties.setProperty("connectTimeout", seconds(CONNECT_TIMEOUT));
    properties.setProperty("loginTimeout", seconds(CONNECT_TIMEOUT));
    properties.setProperty("socketTimeout", seconds(socketTimeout));
    return properties;
  }

  private static String seconds(Duration duration) {
    return Long.toString(Math.max(1, (duration.toMillis() + 999) / 1000));
  }
}
