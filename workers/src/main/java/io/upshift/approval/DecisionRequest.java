package io.upshift.approval;

/**
 * {@code POST /api/approvals/{id}/decision}.
 *
 * @param decision {@code approve} or {@code reject}; on a guided-failure decision task one of the
 *     choices its evidence lists ({@code retry}, {@code abort}, {@code rollback}, {@code skip})
 * @param comment why, shown in the audit trail (optional, at most 2000 characters)
 */
public record DecisionRequest(String decision, String comment) {}
