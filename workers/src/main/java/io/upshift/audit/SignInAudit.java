package io.upshift.audit;

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

  SignInAudit(AuditLog audit) {
    this.audit = audit;
  }

  @EventListener
  void signedIn(InteractiveAuthenticationSuccessEvent event) {
    audit.record(event.getAuthentication().getName(), "login", null, "console sign-in");
  }

  @EventListener
  void refused(AbstractAuthenticationFailureEvent event) {
    audit.record(
        event.getAuthentication().getName(),
        "login.refused",
        null,
        event.getException().getMessage());
  }

  @EventListener
  void signedOut(LogoutSuccessEvent event) {
    audit.record(event.getAuthentication().getName(), "logout", null, null);
  }
}
