package io.upshift.preflight;

import io.upshift.plan.UpgradePlan;
import java.nio.file.Path;

/** Test access to the pre-flight's checks that need no platform. */
public final class PreflightChecksAccess {

  private PreflightChecksAccess() {}

  public static PreflightService.Check drift(UpgradePlan plan) {
    return PreflightService.driftCheck(plan, Path.of(".env"));
  }
}
