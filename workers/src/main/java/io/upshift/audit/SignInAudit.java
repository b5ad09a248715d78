package io.upshift.audit;

import io.upshift.security.UpshiftSecurityProperties;
import java.util.Set;
import org.springframework.context.event.EventListener;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.InteractiveAuthenticationSuccessEvent;
import org.springframework.security.authentication.event.LogoutSuccessEvent;
import org.springframework.stereotype.Component;

/**
 * Audits console sign-ins and sign-outs, and every refused credential (console or API). Successful
 * API calls are not sign-ins: they carry credentials on each request and are audited by what they
 * do.
 */
@Component
class SignInAudit {

  private final AuditLog audit;
  private final Set<String> users;

  SignInAudit(AuditLog audit, UpshiftSecurityProperties security) {
    this.audit = audit;
    this.users = security.userNames();
  }

  @EventListener
  void signedIn(InteractiveAuthenticationSuccessEvent event) {
    audit.record(event.getAuthentication().getName(), "login", null, "console sign-in");
  }

  /**
   * A refused sign-in names the user only if that user exists: whatever else was typed into the
   * name field (sometimes a password) stays out of the trail and the logs.
   */
  @EventListener
  void refused(AbstractAuthenticationFailureEvent event) {
    String typed = event.getAuthentication().getName();
    audit.record(
        users.contains(typed) ? typed : "unknown user",
        "login.refused",
        null,
        event.getException().getMessage());
  }

  @EventListener
  void signedOut(LogoutSuccessEvent event) {
    audit.record(event.getAuthentication().getName(), "logout", null, null);
  }
}
