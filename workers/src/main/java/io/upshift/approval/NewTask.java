package io.upshift.approval;

import java.time.Instant;
import java.util.List;

/** A user task as the engine delivered it, ready to be stored in the inbox. */
record NewTask(
    long jobKey,
    String runId,
    long processInstanceKey,
    String bpmnProcessId,
    String elementId,
    String name,
    List<String> candidateGroups,
    Instant dueDate,
    String evidenceJson,
    String planHash) {}
