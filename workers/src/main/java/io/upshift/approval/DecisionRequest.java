package io.upshift.approval;

/**
 * {@code POST /api/approvals/{id}/decision}.
 *
 * @param decision {@code approve} or {@code reject}
 * @param comment why, shown in the audit trail (optional, at most 2000 characters)
 */
public record DecisionRequest(String decision, String comment) {}
