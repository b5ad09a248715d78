package io.upshift.engine;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns an unreachable or unstartable engine into a two-line start-up report. */
public class EngineFailureAnalyzer extends AbstractFailureAnalyzer<EngineUnavailableException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, EngineUnavailableException cause) {
    return new FailureAnalysis(cause.getMessage(), cause.action(), cause);
  }
}
