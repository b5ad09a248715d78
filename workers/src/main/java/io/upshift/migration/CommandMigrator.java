package io.upshift.migration;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a platform's own migration tool ({@code tool: command}): a one-off container of a service's
 * target image on the platform's network, with the service's environment, the command as an
 * argument array (no shell), a timeout after which the container is killed, and the container
 * removed afterwards in every case. Records exit code, the tail of the output and the duration.
 * Knows nothing about Zeebe: the cutover and the rehearsal both use it.
 */
public final class CommandMigrator {

  /** How much of the command's output is kept as evidence. */
  public static final int OUTPUT_TAIL_BYTES = 4096;

  /** Label on every one-off container Upshift starts (value: the run id). */
  public static final String LABEL = "io.upshift.migration";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)}");

  private CommandMigrator() {}

  /** The values {@code migrations.environment} may use, as seen from the command's container. */
  public record Placeholders(String host, int port, String name, String user, String password) {

    Map<String, String> asMap() {
      Map<String, String> map = new LinkedHashMap<>();
      map.put("host", host);
      map.put("port", Integer.toString(port));
      map.put("name", name);
      map.put("user", user);
      map.put("password", password == null ? "" : password);
      return map;
    }

    @Override
    public String toString() {
      return "Placeholders[" + user + "@" + host + ":" + port + "/" + name + "]"; // no password
    }
  }

  /**
   * Fills {@code {host}}, {@code {port}}, {@code {name}}, {@code {user}} and {@code {password}} in
   * each value; any other {@code {word}} is an error naming the field.
   *
   * @param field the descriptor field, for messages (e.g. {@code databases[files].migrations})
   */
  public static Map<String, String> fill(
      Map<String, String> templates, Placeholders values, String field) {
    Map<String, String> filled = new LinkedHashMap<>();
    if (templates == null) {
      return filled;
    }
    Map<String, String> known = values.asMap();
    templates.forEach(
        (variable, template) -> {
          Matcher m = PLACEHOLDER.matcher(template == null ? "" : template);
          StringBuilder out = new StringBuilder();
          while (m.find()) {
            String value = known.get(m.group(1));
            if (value == null) {
              throw new io.upshift.platform.DescriptorException(
                  field
                      + ".environment."
                      + variable
                      + ": unknown placeholder {"
                      + m.group(1)
                      + "}; allowed: {host}, {port}, {name}, {user}, {password}");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
          }
          m.appendTail(out);
          filled.put(variable, out.toString());
        });
    return filled;
  }

  /**
   * A one-off container to run.
   *
   * @param name container name (a leftover of the same name, from a crashed attempt, is removed)
   * @param network the network to attach to (the platform's, or the rehearsal's scratch network)
   * @param environment the full environment (the service's, with the migration variables applied)
   * @param secrets values to blank out of the output tail (passwords)
   */
  public record Run(
      String name,
      String image,
      List<String> entrypoint,
      List<String> command,
      Map<String, String> environment,
      String network,
      Duration timeout,
      Map<String, String> labels,
      List<String> secrets) {}

  /** What the command did: exit code, the last {@value #OUTPUT_TAIL_BYTES} bytes, the duration. */
  public record Result(long exitCode, String outputTail, Duration took) {}

  /** The command did not finish within its timeout; the container was killed and removed. */
  public static class TimeoutException extends RuntimeException {
    TimeoutException(String message) {
      super(message);
    }
  }

  /** Runs the container to its end (or its timeout) and removes it. */
  public static Result run(DockerClient docker, Run run) throws InterruptedException {
    removeLeftover(docker, run.name());
    ensureImage(docker, run.image());
    long started = System.nanoTime();
    CreateContainerCmd create =
        docker
            .createContainerCmd(run.image())
            .withName(run.name())
            .withLabels(run.labels())
            .withCmd(run.command())
            .withEnv(
                run.environment().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .toList())
            .withHostConfig(HostConfig.newHostConfig().withNetworkMode(run.network()));
    if (run.entrypoint() != null) {
      create.withEntrypoint(run.entrypoint().isEmpty() ? List.of("") : run.entrypoint());
    }
    String id = create.exec().getId();
    try {
      docker.startContainerCmd(id).exec();
      WaitContainerResultCallback wait =
          docker.waitContainerCmd(id).exec(new WaitContainerResultCallback());
      Integer exit;
      try {
        exit = wait.awaitStatusCode(run.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (com.github.dockerjava.api.exception.DockerClientException e) {
        exit = null; // awaitStatusCode throws when the wait timed out
      }
      if (exit == null) {
        String tail = redact(output(docker, id), run.secrets());
        throw new TimeoutException(
            String.join(" ", run.command())
                + " in "
                + run.image()
                + " did not finish within "
                + run.timeout().toSeconds()
                + " s; the container was killed and removed. Last output: "
                + tail);
      }
      return new Result(
          exit,
          redact(output(docker, id), run.secrets()),
          Duration.ofNanos(System.nanoTime() - started));
    } finally {
      try {
        docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
      } catch (NotFoundException e) {
        // already gone
      }
    }
  }

  /**
   * The compose project's network the database service's container is on (its default network, or
   * the first by name): the one-off container joins it and reaches the database by service name.
   */
  public static String platformNetwork(DockerClient docker, String project, String service) {
    List<Container> containers =
        docker
            .listContainersCmd()
            .withLabelFilter(
                Map.of(
                    "com.docker.compose.project", project, "com.docker.compose.service", service))
            .exec();
    if (containers.isEmpty()) {
      throw new IllegalStateException(
          "The database service '"
              + service
              + "' of compose project '"
              + project
              + "' is not running; the migration container joins its network. Start it (compose"
              + " up -d "
              + service
              + ") and retry.");
    }
    var networks =
        docker
            .inspectContainerCmd(containers.get(0).getId())
            .exec()
            .getNetworkSettings()
            .getNetworks();
    if (networks.containsKey(project + "_default")) {
      return project + "_default";
    }
    return networks.keySet().stream()
        .sorted(Comparator.naturalOrder())
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "The container of service '" + service + "' is on no network"));
  }

  /** The last {@value #OUTPUT_TAIL_BYTES} bytes of a text, cut at a line start when possible. */
  static String tail(String text) {
    if (text.length() <= OUTPUT_TAIL_BYTES) {
      return text;
    }
    String cut = text.substring(text.length() - OUTPUT_TAIL_BYTES);
    int line = cut.indexOf('\n');
    return "..." + (line >= 0 && line < 200 ? cut.substring(line) : cut);
  }

  /** Blanks out secrets (the database password) from output kept as evidence. */
  static String redact(String text, List<String> secrets) {
    String out = text;
    for (String secret : secrets == null ? List.<String>of() : secrets) {
      if (secret != null && secret.length() >= 3) {
        out = out.replace(secret, "***");
      }
    }
    return out;
  }

  private static String output(DockerClient docker, String id) throws InterruptedException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    docker
        .logContainerCmd(id)
        .withStdOut(true)
        .withStdErr(true)
        .withTail(400)
        .exec(
            new ResultCallback.Adapter<Frame>() {
              @Override
              public void onNext(Frame frame) {
                bytes.writeBytes(frame.getPayload());
              }
            })
        .awaitCompletion(30, TimeUnit.SECONDS);
    return tail(bytes.toString(StandardCharsets.UTF_8).strip());
  }

  private static void removeLeftover(DockerClient docker, String name) {
    for (Container c :
        docker.listContainersCmd().withShowAll(true).withNameFilter(List.of(name)).exec()) {
      boolean exact =
          c.getNames() != null
              && new ArrayList<>(List.of(c.getNames()))
                  .stream().anyMatch(n -> n.equals("/" + name));
      if (exact) {
        docker.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
      }
    }
  }

  /**
   * Pulls the image when the machine does not have it yet (the rehearsal runs before the pre-pull),
   * from the registry the platform's compose file names.
   */
  public static void ensureImage(DockerClient docker, String image) throws InterruptedException {
    try {
      docker.inspectImageCmd(image).exec();
      return;
    } catch (NotFoundException e) {
      // pull below
    }
    int colon = image.lastIndexOf(':');
    boolean tagged = colon > image.lastIndexOf('/');
    docker
        .pullImageCmd(tagged ? image.substring(0, colon) : image)
        .withTag(tagged ? image.substring(colon + 1) : "latest")
        .exec(new ResultCallback.Adapter<PullResponseItem>())
        .awaitCompletion(30, TimeUnit.MINUTES);
  }
}
