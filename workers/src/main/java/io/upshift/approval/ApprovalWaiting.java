package io.upshift.approval;

/**
 * Published (as a Spring application event) when a user task entered the approval inbox, once per
 * task: a redelivered task job publishes nothing.
 *
 * @param task the stored task, as the inbox shows it
 */
public record ApprovalWaiting(ApprovalTask task) {}
