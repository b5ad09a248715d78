package io.upshift.compose;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PullResponseItem;
import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.upshift.plan.UpgradePlan;
import io.upshift.platform.PlatformJob;
import io.upshift.run.JobSteps;
import io.upshift.run.StepFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * {@code upshift.compose.pull}: pulls the hop's images (from the plan) before anything is stopped,
 * logging the progress, so the pull is not downtime and a missing image fails before the point of
 * no return. Outputs {@code pulledImages} (reference and digest).
 */
@Component
public class PullImagesWorker {

  private static final Logger log = LoggerFactory.getLogger(PullImagesWorker.class);
  private final JobSteps steps;

  PullImagesWorker(JobSteps steps) {
    this.steps = steps;
  }

  @JobWorker(
      type = "upshift.compose.pull",
      timeout = 60 * 60 * 1000,
      fetchVariables = {"platform", "hop", "plan"})
  public Map<String, Object> pull(ActivatedJob job) {
    return steps.run(
        job,
        () -> {
          PlatformJob target = PlatformJob.of(job, true);
          UpgradePlan plan = UpgradePlan.fromVariable(job.getVariablesAsMap().get("plan"));
          UpgradePlan.PlannedHop hop =
              plan.hops().stream()
                  .filter(h -> h.to().equals(target.hop()))
                  .findFirst()
                  .orElseThrow(() -> new StepFailure("The plan has no hop to " + target.hop()));
          List<String> pulled = new ArrayList<>();
          try (DockerClient docker = DockerClients.local()) {
            for (String image : hop.images()) {
              int colon = image.lastIndexOf(':');
              String repository =
                  colon > image.lastIndexOf('/') ? image.substring(0, colon) : image;
              String tag = colon > image.lastIndexOf('/') ? image.substring(colon + 1) : "latest";
              docker
                  .pullImageCmd(repository)
                  .withTag(tag)
                  .exec(
                      new ResultCallback.Adapter<PullResponseItem>() {
                        @Override
                        public void onNext(PullResponseItem item) {
                          if (item.getStatus() != null && item.getId() != null) {
                            log.info("pull {}: {} {}", image, item.getId(), item.getStatus());
                          }
                        }
                      })
                  .awaitCompletion(30, TimeUnit.MINUTES);
              var inspect = docker.inspectImageCmd(image).exec();
              String digest =
                  inspect.getRepoDigests() == null || inspect.getRepoDigests().isEmpty()
                      ? inspect.getId()
                      : inspect.getRepoDigests().get(0);
              pulled.add(image + " = " + digest);
            }
          }
          return Map.<String, Object>of("pulledImages", pulled);
        },
        out -> "pulled " + out.get("pulledImages"));
  }
}
