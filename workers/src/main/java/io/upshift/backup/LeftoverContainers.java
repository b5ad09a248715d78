package io.upshift.backup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Network;
import io.upshift.compose.DockerClients;
import io.upshift.migration.CommandMigrator;
import io.upshift.run.RunJournal;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Start-up sweep of the Docker containers and networks a run left behind when Upshift was killed in
 * the middle of a step: a rehearsal's scratch servers and their network, a migration command's
 * one-off container. Each carries the run id in its label, and the steps remove them whenever they
 * end; a kill -9 skips that.
 *
 * <p>Only runs of this Upshift's own journal are swept, so another Upshift (or a test) sharing the
 * Docker daemon keeps its containers. A rehearsal's leftovers go once the run is not active (an
 * interrupted run rehearses again from the start when resumed). A migration command's container
 * goes only once the run has ended: while a run is interrupted it may still be migrating the live
 * database, and the resumed step removes it by name before it migrates again.
 */
@Component
class LeftoverContainers {

  private static final Logger log = LoggerFactory.getLogger(LeftoverContainers.class);

  private final RunJournal journal;

  LeftoverContainers(RunJournal journal) {
    this.journal = journal;
  }

  @EventListener(ApplicationReadyEvent.class)
  void sweepAtStartup() {
    try (DockerClient docker = DockerClients.local()) {
      int removed = sweep(docker);
      if (removed > 0) {
        log.info("Removed {} container(s) and network(s) left by runs that no longer run", removed);
      }
    } catch (Exception e) {
      // Without Docker nothing of ours can be left on it; the steps that need it will say so.
      log.warn("No sweep of leftover run containers: {}", e.toString());
    }
  }

  /** Removes what runs that no longer need it left behind; returns how many were removed. */
  int sweep(DockerClient docker) {
    int removed = 0;
    for (String runId : runIds(docker, RehearsalService.SCRATCH_LABEL)) {
      Optional<String> state = journal.state(runId);
      if (state.isPresent() && !state.get().equals("active")) {
        removed += remove(docker, RehearsalService.SCRATCH_LABEL, runId);
      }
    }
    for (String runId : runIds(docker, CommandMigrator.LABEL)) {
      Optional<String> state = journal.state(runId);
      if (state.isPresent()
          && !state.get().equals("active")
          && !state.get().equals("interrupted")) {
        removed += remove(docker, CommandMigrator.LABEL, runId);
      }
    }
    return removed;
  }

  private static Set<String> runIds(DockerClient docker, String label) {
    Set<String> ids = new TreeSet<>();
    for (Container c :
        docker.listContainersCmd().withShowAll(true).withLabelFilter(List.of(label)).exec()) {
      addLabel(ids, c.getLabels(), label);
    }
    for (Network n : docker.listNetworksCmd().exec()) {
      addLabel(ids, n.getLabels(), label);
    }
    return ids;
  }

  private static void addLabel(Set<String> ids, Map<String, String> labels, String label) {
    if (labels != null && labels.get(label) != null) {
      ids.add(labels.get(label));
    }
  }

  private static int remove(DockerClient docker, String label, String runId) {
    int removed = 0;
    for (Container c :
        docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(label, runId)).exec()) {
      try {
        docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
        log.info("Removed container {} ({}={})", String.join(",", c.getNames()), label, runId);
        removed++;
      } catch (NotFoundException e) {
        // gone already
      } catch (RuntimeException e) {
        log.warn("Cannot remove container {} of run {}: {}", c.getId(), runId, e.getMessage());
      }
    }
    for (Network n : docker.listNetworksCmd().exec()) {
      if (n.getLabels() != null && runId.equals(n.getLabels().get(label))) {
        try {
          docker.removeNetworkCmd(n.getId()).exec();
          log.info("Removed network {} ({}={})", n.getName(), label, runId);
          removed++;
        } catch (NotFoundException e) {
          // gone already
        } catch (RuntimeException e) {
          log.warn("Cannot remove network {} of run {}: {}", n.getName(), runId, e.getMessage());
        }
      }
    }
    return removed;
  }
}
