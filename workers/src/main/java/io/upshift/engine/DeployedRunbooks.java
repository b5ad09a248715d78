package io.upshift.engine;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/** The runbooks (BPMN process ids) this service deployed at start-up, with their versions. */
@Component
public class DeployedRunbooks {

  private volatile Map<String, Integer> versions = Map.of();

  void replace(Map<String, Integer> deployed) {
    this.versions = Map.copyOf(deployed);
  }

  public Optional<Integer> version(String processId) {
    return Optional.ofNullable(versions.get(processId));
  }

  /** Sorted process ids, for error messages that list what is allowed. */
  public Iterable<String> ids() {
    return new TreeMap<>(versions).keySet();
  }
}
