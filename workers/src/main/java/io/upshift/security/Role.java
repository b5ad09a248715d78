package io.upshift.security;

/**
 * What a user may do. ADMIN implies OPERATOR and APPROVER; both imply VIEWER (see {@link
 * SecurityConfiguration#roleHierarchy()}). OPERATOR and APPROVER are deliberately separate: the
 * person who starts an upgrade is not automatically the one who may approve it.
 */
public enum Role {
  /** Reads runs and the approval inbox. */
  VIEWER,
  /** Starts runs. */
  OPERATOR,
  /** Decides approval tasks (never on a run they requested themselves). */
  APPROVER,
  /** Everything. */
  ADMIN;

  /** The Spring Security authority of this role, e.g. {@code ROLE_VIEWER}. */
  public String authority() {
    return "ROLE_" + name();
  }
}
