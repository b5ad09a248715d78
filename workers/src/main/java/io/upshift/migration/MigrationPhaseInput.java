package io.upshift.migration;

/**
 * The variables the pre- and post-deployment migration steps read: the platform, the run (the
 * idempotency key of the steps' containers) and the hop's target version.
 */
record MigrationPhaseInput(String platform, String runId, String hop) {

  /** The required variables, or a hopeless failure naming the missing ones. */
  MigrationPhaseInput require(String jobType) {
    if (platform == null || runId == null || hop == null) {
      throw new io.upshift.run.StepFailure(
          jobType + " needs the variables platform, runId and hop (the hop's target version)");
    }
    return this;
  }
}
