package io.upshift.run;

/**
 * A run was asked for a platform that another run holds (active, or interrupted and not yet
 * abandoned): one upgrade per platform. Nothing was created.
 */
public class PlatformBusyException extends RunConflictException {

  private final String platform;

  PlatformBusyException(String platform, String runId, String state, Throwable cause) {
    super(
        "Platform busy",
        runId == null
            ? "Platform '" + platform + "' was held by a run that has just ended; try again"
            : "Platform '"
                + platform
                + "' has "
                + ("interrupted".equals(state)
                    ? "an interrupted run "
                        + runId
                        + ": look at the platform, then abandon that run"
                    : "an active run " + runId + ": wait for it to end, or cancel it")
                + " before starting another upgrade of it (one upgrade per platform)",
        runId,
        cause);
    this.platform = platform;
  }

  public String platform() {
    return platform;
  }
}
