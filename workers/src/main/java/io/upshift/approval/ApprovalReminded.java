package io.upshift.approval;

/**
 * Published (as a Spring application event) for each waiting task the reminder job ({@code
 * upshift.approval.remind}) stamped. A redelivered reminder job publishes again with the same
 * {@code reminderJobKey}, so receivers can tell a repeat from a second reminder.
 *
 * @param task the waiting task, with {@code remindedAt} set
 * @param reminderJobKey the engine's key of the reminder job that fired
 */
public record ApprovalReminded(ApprovalTask task, long reminderJobKey) {}
