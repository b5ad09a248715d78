package io.upshift.security;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.event.AuthenticationFailureBadCredentialsEvent;
import org.springframework.security.authentication.event.AuthenticationSuccessEvent;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Component;

/**
 * Stops password guessing (see {@link UpshiftSecurityProperties.Lockout}): counts refused passwords
 * per configured user and, once a user is locked, refuses that user's password sign-ins before the
 * password is even checked. Only configured users are counted, so made-up names cost no memory. In
 * memory: a restart lifts every lock.
 */
@Component
class SignInLockout {

  private static final Logger log = LoggerFactory.getLogger(SignInLockout.class);

  private final UpshiftSecurityProperties.Lockout policy;
  private final Set<String> users;
  private final Clock clock;
  private final Map<String, Deque<Instant>> refusals = new ConcurrentHashMap<>();
  private final Map<String, Instant> lockedUntil = new ConcurrentHashMap<>();

  SignInLockout(UpshiftSecurityProperties properties, Clock clock) {
    this.policy = properties.lockout();
    this.users = properties.userNames();
    this.clock = clock;
  }

  /** Until when {@code user} is locked out, if now. */
  Optional<Instant> lockedUntil(String user) {
    Instant until = lockedUntil.get(user);
    if (until == null) {
      return Optional.empty();
    }
    if (!until.isAfter(clock.instant())) {
      lockedUntil.remove(user, until);
      return Optional.empty();
    }
    return Optional.of(until);
  }

  /**
   * The guard each filter chain puts before the password check: a locked user is refused with
   * {@link LockedException}; everybody else passes on to the real check. Deliberately not a bean of
   * type AuthenticationProvider, which would replace Spring's password provider.
   */
  AuthenticationProvider guard() {
    return new AuthenticationProvider() {
      @Override
      public Authentication authenticate(Authentication authentication) {
        String user = authentication.getName();
        Optional<Instant> until = lockedUntil(user);
        if (until.isPresent()) {
          throw new LockedException(
              "User '"
                  + user
                  + "' is locked after "
                  + policy.attempts()
                  + " refused passwords; try again after "
                  + until.get());
        }
        return null;
      }

      @Override
      public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
      }
    };
  }

  @EventListener
  void refused(AuthenticationFailureBadCredentialsEvent event) {
    String user = event.getAuthentication().getName();
    if (!users.contains(user)) {
      return;
    }
    Instant now = clock.instant();
    Deque<Instant> recent = refusals.computeIfAbsent(user, u -> new ArrayDeque<>());
    synchronized (recent) {
      recent.addLast(now);
      while (!recent.isEmpty() && recent.peekFirst().isBefore(now.minus(policy.window()))) {
        recent.removeFirst();
      }
      if (recent.size() >= policy.attempts()) {
        recent.clear();
        lockedUntil.put(user, now.plus(policy.duration()));
        log.warn(
            "User '{}' locked for {} after {} refused passwords within {}",
            user,
            policy.duration(),
            policy.attempts(),
            policy.window());
      }
    }
  }

  @EventListener
  void signedIn(AuthenticationSuccessEvent event) {
    refusals.remove(event.getAuthentication().getName());
  }
}
