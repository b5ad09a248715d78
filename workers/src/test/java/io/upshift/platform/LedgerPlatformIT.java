package io.upshift.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.upshift.support.ApiWriter;
import io.upshift.support.LedgerDeployment;
import io.upshift.support.LedgerPlatform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger platform itself, without Upshift's runbooks: its repository has v-tags without
 * descriptors, the operator's descriptor folder has one per tag, and v1.0.0 run by hand with
 * compose (real Docker, real PostgreSQL) stores every write it acknowledges in both databases and
 * in the uploads volume.
 */
class LedgerPlatformIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WRITES = 25;
  static Path repository;

  @BeforeAll
  static void prepare() {
    repository = LedgerPlatform.repository();
  }

  @Test
  void tagsCarryNoDescriptorAndTheDescriptorFolderHasOnePerTag() throws Exception {
    List<String> tags;
    try (Git git = Git.open(repository.toFile());
        RevWalk walk = new RevWalk(git.getRepository())) {
      tags = git.tagList().call().stream().map(Ref::getName).map(n -> n.substring(10)).toList();
      for (Ref tag : git.tagList().call()) {
        var tree =
            walk.parseCommit(git.getRepository().resolve(tag.getName() + "^{commit}")).getTree();
        try (TreeWalk inTag = TreeWalk.forPath(git.getRepository(), "upshift.yaml", tree)) {
          assertThat(inTag).as("upshift.yaml in " + tag.getName()).isNull();
        }
        try (TreeWalk notes = TreeWalk.forPath(git.getRepository(), "RELEASE_NOTES.md", tree)) {
          assertThat(notes).as("RELEASE_NOTES.md in " + tag.getName()).isNotNull();
        }
      }
    }
    assertThat(tags)
        .containsExactlyInAnyOrder(
            "v1.0.0", "v1.1.0", "v1.2.0", "v1.1.1-fail-migration", "v1.1.1-fail-health");
    for (String tag : tags) {
      String version = tag.substring(1);
      assertThat(LedgerPlatform.tag(version)).isEqualTo(tag);
      Path file = LedgerPlatform.descriptors().resolve(version).resolve("upshift.yaml");
      JsonNode descriptor = new YAMLMapper().readTree(Files.readString(file));
      assertThat(descriptor.path("descriptorVersion").asInt()).as(file.toString()).isEqualTo(2);
      assertThat(descriptor.path("platform").path("version").asText()).isEqualTo(version);
      assertThat(descriptor.path("databases").findValuesAsText("id"))
          .containsExactly("ledger", "files");
    }
  }

  @Test
  void everyAcknowledgedWriteIsInBothDatabasesAndTheVolume(@TempDir Path dir) throws Exception {
    try (LedgerDeployment platform =
        new LedgerDeployment(repository, "writes", dir).checkout("1.0.0")) {
      platform.install();
      assertThat(platform.services()).contains("db", "manager", "api", "worker");

      ApiWriter writer = new ApiWriter(platform.apiUrl() + "/api/items", "ledger-it");
      long deadline = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
      while (writer.acknowledged().size() < WRITES && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      writer.close();
      Map<Long, String> acknowledged = writer.acknowledged();
      assertThat(acknowledged)
          .as("writes acknowledged within 3 min (refused: " + writer.refused() + ")")
          .hasSizeGreaterThanOrEqualTo(WRITES);

      Map<Long, String> ledgerNames = new HashMap<>();
      try (Connection c = platform.connect("ledger");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, name FROM entries")) {
        while (rs.next()) {
          ledgerNames.put(rs.getLong(1), rs.getString(2));
        }
      }
      Set<Long> files = platform.ids("files", "SELECT item_id FROM files");
      Set<Long> uploads = platform.uploads();
      Set<Long> ids = new TreeSet<>(acknowledged.keySet());

      assertThat(ledgerNames).as("ledger database").containsAllEntriesOf(acknowledged);
      assertThat(files).as("files database").containsAll(ids);
      assertThat(uploads).as("uploads volume").containsAll(ids);
      for (long id : ids) {
        JsonNode where = JSON.readTree(platform.get("/api/items/" + id).body());
        assertThat(List.of(where.path("ledger"), where.path("files"), where.path("upload")))
            .as("GET /api/items/" + id)
            .allMatch(JsonNode::asBoolean);
      }
      JsonNode version = JSON.readTree(platform.get("/api/version").body());
      assertThat(version.path("release").asText()).isEqualTo("1.0.0");
      assertThat(version.path("schemas").path("ledger").asText()).isEqualTo("1");
      assertThat(version.path("schemas").path("files").asText()).isEqualTo("1");
    }
  }
}
