package io.upshift.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.event.AuthenticationFailureBadCredentialsEvent;
import org.springframework.security.authentication.event.AuthenticationSuccessEvent;

/** Refused passwords lock a configured user for a while; the window and the lock expire. */
class SignInLockoutTest {

  static final String HASH = "$2a$04$DHMLot4TZDmjLcxx3gVU7OgxLusV863sm0cTEc2ibvmNjwU7HAbNm";

  final MutableClock clock = new MutableClock();
  final SignInLockout lockout =
      new SignInLockout(
          new UpshiftSecurityProperties(
              List.of(new UpshiftSecurityProperties.User("ops", HASH, Set.of(Role.OPERATOR), null)),
              null,
              new UpshiftSecurityProperties.Lockout(
                  3, Duration.ofMinutes(5), Duration.ofMinutes(10))),
          clock);

  @Test
  void theThirdRefusalWithinTheWindowLocksUntilTheDurationPassed() {
    refuse("ops");
    refuse("ops");
    assertThat(lockout.lockedUntil("ops")).isEmpty();
    assertThat(lockout.guard().authenticate(token("ops"))).as("passes on").isNull();

    refuse("ops");
    assertThat(lockout.lockedUntil("ops")).contains(clock.instant().plus(Duration.ofMinutes(10)));
    assertThatThrownBy(() -> lockout.guard().authenticate(token("ops")))
        .isInstanceOf(LockedException.class)
        .hasMessageContaining("'ops' is locked after 3 refused passwords");

    clock.advance(Duration.ofMinutes(10));
    assertThat(lockout.lockedUntil("ops")).isEmpty();
  }

  @Test
  void refusalsOutsideTheWindowOrBeforeASuccessDoNotCount() {
    refuse("ops");
    refuse("ops");
    clock.advance(Duration.ofMinutes(6));
    refuse("ops");
    assertThat(lockout.lockedUntil("ops")).isEmpty();

    refuse("ops");
    lockout.signedIn(new AuthenticationSuccessEvent(token("ops")));
    refuse("ops");
    assertThat(lockout.lockedUntil("ops")).isEmpty();
  }

  @Test
  void unknownNamesAreNeitherCountedNorLocked() {
    for (int i = 0; i < 10; i++) {
      refuse("nobody");
    }
    assertThat(lockout.lockedUntil("nobody")).isEmpty();
  }

  @Test
  void thePolicyIsChecked() {
    assertThatThrownBy(() -> new UpshiftSecurityProperties.Lockout(0, null, null))
        .hasMessageContaining("upshift.security.lockout.attempts must be between 1 and 100");
    assertThatThrownBy(() -> new UpshiftSecurityProperties.Lockout(5, Duration.ZERO, null))
        .hasMessageContaining("must be positive durations");
    assertThat(new UpshiftSecurityProperties.Lockout(null, null, null).attempts()).isEqualTo(5);
  }

  private void refuse(String user) {
    lockout.refused(
        new AuthenticationFailureBadCredentialsEvent(
            token(user), new BadCredentialsException("Bad credentials")));
  }

  private static UsernamePasswordAuthenticationToken token(String user) {
    return UsernamePasswordAuthenticationToken.unauthenticated(user, "secret");
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-11-22T10:00:00Z");

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
