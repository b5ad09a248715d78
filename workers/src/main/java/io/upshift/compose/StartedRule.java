package io.upshift.compose;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * What "started" means for one service after {@code compose up}: an HTTP URL answering 2xx, a log
 * line written since the container started, running (not restarting) for some seconds, or Docker's
 * own healthcheck (which, for a container without one, is running for {@value
 * #DEFAULT_RUNNING_SECONDS} s). The container must be running in every case.
 *
 * @param timeout how long to wait for this service
 */
public record StartedRule(
    Kind kind, String url, Pattern logLine, int runningSeconds, Duration timeout) {

  public static final int DEFAULT_RUNNING_SECONDS = 5;

  public enum Kind {
    HEALTH_URL,
    LOG_LINE,
    RUNNING,
    DOCKER_HEALTH
  }

  public static StartedRule healthUrl(String url, Duration timeout) {
    return new StartedRule(Kind.HEALTH_URL, url, null, 0, timeout);
  }

  public static StartedRule logLine(String regex, Duration timeout) {
    return new StartedRule(Kind.LOG_LINE, null, Pattern.compile(regex), 0, timeout);
  }

  public static StartedRule running(int seconds, Duration timeout) {
    return new StartedRule(Kind.RUNNING, null, null, seconds, timeout);
  }

  /** Docker's healthcheck; without one, running for {@value #DEFAULT_RUNNING_SECONDS} s. */
  public static StartedRule dockerHealth(Duration timeout) {
    return new StartedRule(Kind.DOCKER_HEALTH, null, null, DEFAULT_RUNNING_SECONDS, timeout);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case HEALTH_URL -> "health URL " + url + " answers 2xx";
      case LOG_LINE -> "log line /" + logLine.pattern() + "/ since the container started";
      case RUNNING -> "running for " + runningSeconds + " s";
      case DOCKER_HEALTH ->
          "Docker healthcheck healthy (running " + runningSeconds + " s without one)";
    };
  }
}
