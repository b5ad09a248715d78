package io.upshift.engine;

import io.camunda.client.CamundaClient;
import io.camunda.client.annotation.JobWorker;
import io.camunda.client.api.response.ActivatedJob;
import io.camunda.zeebe.model.bpmn.Bpmn;
import io.camunda.zeebe.model.bpmn.BpmnModelInstance;
import io.camunda.zeebe.model.bpmn.builder.AbstractFlowNodeBuilder;
import io.upshift.UpshiftApplication;
import io.upshift.run.JobSteps;
import io.upshift.run.RunEnded;
import io.upshift.run.RunService;
import io.upshift.run.RunView;
import io.upshift.run.StartRunRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.PayloadApplicationEvent;
import org.springframework.context.support.GenericApplicationContext;

/**
 * Benchmark harness, not a test (bench/orchestration-overhead.sh runs it; results in
 * docs/benchmarks.md, "Orchestration overhead"): the whole Upshift service with its embedded engine
 * runs generated runbooks of N service tasks of job type {@code bench.noop}, started like any run
 * ({@link RunService#start}) and journaled by {@link JobSteps}; their end event carries Upshift's
 * {@code upshift.run.end} listener. The no-op worker is a {@code @JobWorker} bean like the
 * product's workers, registered only in this harness's context (it is no product job type).
 *
 * <p>Measured from the run journal (timestamps taken inside the service by the workers and the end
 * listener): for step i, the time from the end of step i-1 (the run's creation for the first step)
 * to the end of step i, minus the no-op itself called directly; the run's total from creation to
 * the end listener.
 *
 * <p>Arguments: {@code RUNS N...}.
 */
public final class OrchestrationOverheadBench {

  static final String JOB_TYPE = "bench.noop";
  private static final int WARM_UP_RUNS = 2;
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);

  private OrchestrationOverheadBench() {}

  /** The no-op: what every step does, and what the direct baseline calls N times. */
  static String noop() {
    return "no-op";
  }

  /** The no-op worker, through Upshift's step wrapper like every product worker. */
  public static class NoopWorker {
    private final JobSteps steps;

    public NoopWorker(JobSteps steps) {
      this.steps = steps;
    }

    @JobWorker(
        type = JOB_TYPE,
        fetchVariables = {"runId"})
    public void run(ActivatedJob job) {
      steps.run(job, OrchestrationOverheadBench::noop, summary -> summary);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      throw new IllegalArgumentException("usage: RUNS N...");
    }
    int runs = Integer.parseInt(args[0]);
    int[] sizes = Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray();
    Path dataDir = Files.createTempDirectory("upshift-bench-overhead");
    Map<String, CompletableFuture<RunEnded>> ended = new ConcurrentHashMap<>();

    long contextStart = System.nanoTime();
    ConfigurableApplicationContext context =
        new SpringApplicationBuilder(UpshiftApplication.class)
            .initializers(ctx -> ((GenericApplicationContext) ctx).registerBean(NoopWorker.class))
            .listeners(
                (ApplicationListener<ApplicationEvent>)
                    event -> {
                      if (event instanceof PayloadApplicationEvent<?> payload
                          && payload.getPayload() instanceof RunEnded end
                          && end.runId() != null) {
                        ended
                            .computeIfAbsent(end.runId(), id -> new CompletableFuture<>())
                            .complete(end);
                      }
                    })
            .run(
                "--upshift.engine.port=0",
                "--server.port=0",
                "--upshift.data-dir=" + dataDir,
                "--logging.level.io.upshift=WARN");
    System.out.printf(
        "service started in %d ms (data dir %s)%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - contextStart), dataDir);
    try {
      CamundaClient client = context.getBean(CamundaClient.class);
      DeployedRunbooks runbooks = context.getBean(DeployedRunbooks.class);
      RunService service = context.getBean(RunService.class);

      Map<String, Integer> deployed = new HashMap<>();
      runbooks.ids().forEach(id -> deployed.put(id, runbooks.version(id).orElseThrow()));
      for (int n : sizes) {
        String id = "bench-noop-" + n;
        var deployment =
            client
                .newDeployResourceCommand()
                .addProcessModel(model(id, n), id + ".bpmn")
                .send()
                .join();
        deployed.put(id, deployment.getProcesses().get(0).getVersion());
      }
      runbooks.replace(deployed);

      for (int n : sizes) {
        measure(n, runs, service, ended);
      }
    } finally {
      // The embedded engine leaves non-daemon threads behind after the context closed.
      System.exit(SpringApplication.exit(context));
    }
  }

  /** start -> N service tasks of bench.noop in sequence -> end (with the run end listener). */
  static BpmnModelInstance model(String id, int n) {
    AbstractFlowNodeBuilder<?, ?> flow =
        Bpmn.createExecutableProcess(id).name("Benchmark: " + n + " no-op steps").startEvent();
    for (int i = 1; i <= n; i++) {
      flow = flow.serviceTask("Noop_" + i).name("No-op " + i).zeebeJobType(JOB_TYPE);
    }
    return flow.endEvent("Done").zeebeEndExecutionListener("upshift.run.end").done();
  }

  private static void measure(
      int n, int runs, RunService service, Map<String, CompletableFuture<RunEnded>> ended)
      throws Exception {
    // The same no-op called N times directly, per call; warmed up first.
    for (int i = 0; i < 100_000; i++) {
      noop();
    }
    List<Double> direct = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      long t0 = System.nanoTime();
      int sink = 0;
      for (int i = 0; i < n; i++) {
        sink += noop().length();
      }
      long t1 = System.nanoTime();
      if (sink < 0) {
        throw new IllegalStateException();
      }
      direct.add((t1 - t0) / 1_000_000.0 / n);
    }
    double directPerCall = median(direct);

    List<Double> stepOverheads = new ArrayList<>();
    List<Double> totals = new ArrayList<>();
    List<Double> endListener = new ArrayList<>();
    List<Double> clientWall = new ArrayList<>();
    for (int r = -WARM_UP_RUNS; r < runs; r++) {
      long t0 = System.nanoTime();
      RunView started = service.start(new StartRunRequest("bench-noop-" + n, Map.of()), "bench");
      RunEnded end =
          ended
              .computeIfAbsent(started.id(), id -> new CompletableFuture<>())
              .get(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      long wallNanos = System.nanoTime() - t0;
      RunView run = service.find(started.id()).orElseThrow();
      if (!"completed".equals(run.state()) || run.steps().size() != n) {
        throw new IllegalStateException(
            "run " + run.id() + " ended " + run.state() + " with " + run.steps().size() + " steps");
      }
      if (r < 0) {
        continue; // warm-up, not reported
      }
      List<RunView.Step> steps = new ArrayList<>(run.steps());
      steps.sort(Comparator.comparing(RunView.Step::endedAt));
      var previous = run.startedAt();
      for (RunView.Step step : steps) {
        double interval = Duration.between(previous, step.endedAt()).toNanos() / 1_000_000.0;
        stepOverheads.add(interval - directPerCall);
        previous = step.endedAt();
      }
      endListener.add(Duration.between(previous, run.endedAt()).toNanos() / 1_000_000.0);
      totals.add(Duration.between(run.startedAt(), run.endedAt()).toNanos() / 1_000_000.0);
      clientWall.add(wallNanos / 1_000_000.0);
      System.out.printf(
          Locale.ROOT,
          "N=%d run %d: %.1f ms from creation to end listener (%.2f ms per step), %.1f ms wall%n",
          n,
          r + 1,
          totals.getLast(),
          totals.getLast() / n,
          clientWall.getLast());
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT N=%d runs=%d steps=%d: overhead per step median %.2f ms, p95 %.2f ms, max %.2f ms;"
            + " end listener median %.2f ms; run median %.1f ms (%.2f ms per step); direct no-op"
            + " %.6f ms per call%n",
        n,
        runs,
        stepOverheads.size(),
        median(stepOverheads),
        percentile(stepOverheads, 95),
        percentile(stepOverheads, 100),
        median(endListener),
        median(totals),
        median(totals) / n,
        directPerCall);
  }

  static double median(List<Double> values) {
    return percentile(values, 50);
  }

  /** Nearest-rank percentile. */
  static double percentile(List<Double> values, int p) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }
}
