package dev.spindle.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code files} job type against the tools everyone trusts, on a generated tree of 10,000 files
 * (nested, some empty, names with spaces and unicode) and a 100 MB file: {@code checksum} equals
 * {@code sha256sum}, {@code lines} equals {@code wc -l}, {@code grep} equals {@code grep -c}, each
 * computed by this test from those commands. Escapes from the root are refused at submit; a cancel
 * stops a read inside the large file; an unreadable entry is an error line, or the job's end with
 * {@code failFast}.
 */
@SpindleTest
@TestPropertySource(properties = { "spindle.output.max-size=64MB", "spindle.jobs.default-timeout=5m" })
class FilesTests {

    static final Path BASE;

    static final Path TREE;

    static final Path OUTSIDE;

    static final Path DEEP;

    static final int FILES = 10_000;

    static final long LARGE = 100L << 20;

    static {
        try {
            BASE = Files.createTempDirectory("spindle-files-tests");
            TREE = Files.createDirectories(BASE.resolve("tree"));
            OUTSIDE = Files.createDirectories(BASE.resolve("outside"));
            DEEP = Files.createDirectories(BASE.resolve("deep"));
        }
        catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    @DynamicPropertySource
    static void roots(DynamicPropertyRegistry properties) {
        properties.add("spindle.files.roots.tree", TREE::toString);
        properties.add("spindle.files.roots.deep", DEEP::toString);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @BeforeAll
    static void tree() throws Exception {
        if (!Files.exists(TREE.resolve("big"))) {
            FileTree.generate(TREE, FILES, LARGE);
            Files.writeString(OUTSIDE.resolve("secret.txt"), "not yours\n");
            Files.createSymbolicLink(TREE.resolve("links/outside"), OUTSIDE);
            // a directory whose path is longer than the system allows to open: the walk cannot look into it
            Process deep = new ProcessBuilder("bash", "-c",
                    "name=$(printf 'x%.0s' {1..200}); for i in $(seq 1 25); do mkdir \"$name\" && cd \"$name\" || exit 1; done; echo data > leaf.txt")
                .directory(DEEP.toFile()).inheritIO().start();
            assertThat(deep.waitFor()).isZero();
            Files.writeString(DEEP.resolve("ok.txt"), "fine\n");
            // one line of a megabyte: grep keeps its first 64 K characters, not the megabyte
            Files.writeString(DEEP.resolve("one long line.txt"), "needle7 " + "a".repeat(1 << 20));
        }
    }

    @org.junit.jupiter.api.AfterAll
    static void removeTree() throws Exception {
        // rm: the deep directory's paths are longer than Java can open
        new ProcessBuilder("rm", "-rf", BASE.toString()).inheritIO().start().waitFor();
    }

    Api api() {
        return new Api(port);
    }

    /** Runs a files job to its end; its output lines by path. */
    Map<String, JsonNode> run(String payload, JsonNode[] summary) {
        Api api = api();
        String id = api.submit("{\"type\": \"files\", \"payload\": " + payload + "}");
        JsonNode job = api.awaitTerminal(id);
        assertThat(job.path("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        summary[0] = job.path("result");
        Map<String, JsonNode> byPath = new HashMap<>();
        output(id).lines().forEach(line -> {
            JsonNode node = Api.parse(line);
            assertThat(byPath.put(node.path("path").asString(), node)).as("one line per file").isNull();
        });
        return byPath;
    }

    /** The job's output, as NDJSON text. */
    String output(String id) {
        try {
            java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + id
                            + "/output")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
            return response.body();
        }
        catch (IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void checksumEqualsSha256sum() {
        Map<String, String> expected = FileTree.sha256sum(TREE);
        assertThat(expected).hasSize(FILES + 1);
        JsonNode[] summary = new JsonNode[1];
        Map<String, JsonNode> lines = run("{\"root\": \"tree\", \"operation\": \"checksum\", \"parallelism\": 4}", summary);
        Map<String, String> actual = new HashMap<>();
        lines.forEach((path, line) -> actual.put(path, line.path("sha256").asString()));
        assertThat(actual).isEqualTo(expected);
        assertThat(summary[0].path("files").asInt()).isEqualTo(FILES + 1);
        assertThat(summary[0].path("errors").asInt()).isZero();
        assertThat(summary[0].path("skipped").asInt()).as("the links").isEqualTo(2);
        assertThat(summary[0].path("bytes").asLong()).isGreaterThan(LARGE);
        System.out.printf("checksum of %d files (%d bytes) in %d ms%n", FILES + 1, summary[0].path("bytes").asLong(),
                summary[0].path("elapsedMs").asLong());
    }

    @Test
    void linesEqualsWcL() {
        Map<String, Long> expected = FileTree.wcLines(TREE);
        JsonNode[] summary = new JsonNode[1];
        Map<String, JsonNode> lines = run("{\"root\": \"tree\", \"operation\": \"lines\"}", summary);
        Map<String, Long> actual = new HashMap<>();
        lines.forEach((path, line) -> actual.put(path, line.path("lines").asLong()));
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void grepEqualsGrepC() {
        Map<String, Long> expected = FileTree.grepCount(TREE, "needle[0-9]+ (alpha|beta)");
        assertThat(expected.values().stream().mapToLong(Long::longValue).sum()).isPositive();
        JsonNode[] summary = new JsonNode[1];
        Map<String, JsonNode> lines = run("""
                {"root": "tree", "path": ".", "glob": "**", "operation": "grep", "pattern": "needle[0-9]+ (alpha|beta)",
                 "maxMatches": 2}""", summary);
        Map<String, Long> actual = new HashMap<>();
        lines.forEach((path, line) -> actual.put(path, line.path("matches").asLong()));
        assertThat(actual).isEqualTo(expected);
        lines.values().forEach(line -> {
            assertThat(line.path("lines").size()).isLessThanOrEqualTo(2).isEqualTo((int) Math.min(2, line.path("matches").asLong()));
            line.path("lines").forEach(match -> assertThat(match.path("text").asString()).containsPattern("needle[0-9]+ (alpha|beta)"));
        });
    }

    @Test
    void aPathAndAGlobNarrowTheFiles() {
        JsonNode[] summary = new JsonNode[1];
        Map<String, JsonNode> lines = run("{\"root\": \"tree\", \"path\": \"d3/sub 3\", \"glob\": \"**/file 1*.txt\", \"operation\": \"lines\"}",
                summary);
        assertThat(lines).isNotEmpty();
        assertThat(lines.keySet()).allSatisfy(path -> assertThat(path).startsWith("d3/sub 3/").contains("/file 1"));
        Map<String, Long> all = FileTree.wcLines(TREE);
        long expected = all.keySet().stream()
            .filter(path -> path.startsWith("d3/sub 3/") && path.substring(path.lastIndexOf('/') + 1).startsWith("file 1"))
            .count();
        assertThat(lines).hasSize((int) expected);
    }

    @Test
    void aWorkflowFansOutOverDirectoriesAndGathersThem() {
        Api api = api();
        String workflow = api.submitWorkflow("""
                {"name": "dir-sums", "steps": [
                  {"id": "sum", "type": "fanout", "payload": {"type": "files", "payloads": [
                    {"root": "tree", "path": "d1", "operation": "checksum"},
                    {"root": "tree", "path": "d2", "operation": "checksum"}]}},
                  {"id": "total", "type": "collect", "payload": {"of": "sum", "results": true}, "dependsOn": ["sum"]}]}""");
        JsonNode ended = api.awaitWorkflow(workflow);
        assertThat(ended.path("state").asString()).as(ended.toString()).isEqualTo("SUCCEEDED");
        JsonNode total = api.get("/api/v1/jobs/" + Api.step(ended, "total").path("jobId").asString()).body().path("result");
        assertThat(total.toString()).contains("\"files\":500");
        Map<String, String> expected = FileTree.sha256sum(TREE);
        long inDirs = expected.keySet().stream().filter(path -> path.startsWith("d1/") || path.startsWith("d2/")).count();
        assertThat(inDirs).isEqualTo(1000);
    }

    @Test
    void escapesFromTheRootAreRefusedAtSubmitAndNothingIsStored() {
        long before = jdbc.sql("SELECT COUNT(*) FROM jobs").query(Long.class).single();
        for (String path : new String[] { "../outside", "/etc", "d1/../../outside", "%2e%2e/outside", "%252e%252e/x",
                "links/outside", "links/outside/secret.txt", "d1\\\\..\\\\..", "~/x", "no such dir" }) {
            Response refused = api().post("/api/v1/jobs",
                    "{\"type\": \"files\", \"payload\": {\"root\": \"tree\", \"path\": \"" + path + "\", \"operation\": \"lines\"}}");
            assertThat(refused.status()).as(path).isEqualTo(400);
            assertThat(refused.body().path("errors").toString()).as(path).contains("payload: path: ");
        }
        assertRefused("{\"root\": \"nowhere\", \"operation\": \"lines\"}", "root: unknown root 'nowhere'; configured: deep, tree");
        assertRefused("{\"root\": \"tree\", \"operation\": \"shred\"}", "operation: must be checksum, lines or grep");
        assertRefused("{\"root\": \"tree\", \"operation\": \"grep\"}", "pattern: grep needs a regular expression");
        assertRefused("{\"root\": \"tree\", \"operation\": \"grep\", \"pattern\": \"(\"}", "pattern: not a valid regular expression");
        assertRefused("{\"root\": \"tree\", \"operation\": \"lines\", \"glob\": \"[a-\"}", "glob: not a valid glob");
        assertRefused("{\"root\": \"tree\", \"operation\": \"lines\", \"parallelism\": 0}", "parallelism: must be a whole number from 1 to 64");
        assertRefused("{\"root\": \"tree\", \"operation\": \"lines\", \"colour\": 1}", "unknown field 'colour'");
        assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs").query(Long.class).single()).isEqualTo(before);
    }

    private void assertRefused(String payload, String error) {
        Response refused = api().post("/api/v1/jobs", "{\"type\": \"files\", \"payload\": " + payload + "}");
        assertThat(refused.status()).as(payload).isEqualTo(400);
        assertThat(refused.body().path("errors").toString()).as(payload).contains(error);
    }

    @Test
    void aCancelStopsTheReadInsideTheLargeFile() {
        Api api = api();
        // grep reads the 100 MB file for a good while: long enough to be cancelled inside it
        String id = api.submit("""
                {"type": "files", "payload": {"root": "tree", "path": "big", "operation": "grep", "pattern": "(a|b)+c$",
                 "parallelism": 1}}""");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
            .until(() -> api.get("/api/v1/jobs/" + id).body().path("progress").asDouble() > 0.02);
        double progress = api.get("/api/v1/jobs/" + id).body().path("progress").asDouble();
        Instant asked = Instant.now();
        assertThat(api.post("/api/v1/jobs/" + id + "/cancel", "").status()).isEqualTo(202);
        JsonNode job = api.awaitTerminal(id);
        Instant finished = Instant.parse(job.path("finishedAt").asString());
        long stoppedMs = Duration.between(asked, finished).toMillis();
        System.out.printf("cancelled at %.0f %% of the 100 MB file: ended %d ms after the cancel%n", progress * 100, stoppedMs);
        assertThat(job.path("state").asString()).isEqualTo("CANCELLED");
        assertThat(progress).as("cancelled inside the file").isLessThan(0.9);
        assertThat(stoppedMs).isLessThan(100);
    }

    @Test
    void anEntryThatCannotBeReadIsAnErrorLineOrWithFailFastTheEnd() {
        JsonNode[] summary = new JsonNode[1];
        Map<String, JsonNode> lines = run("{\"root\": \"deep\", \"operation\": \"checksum\"}", summary);
        assertThat(summary[0].path("errors").asInt()).isEqualTo(1);
        assertThat(lines.get("ok.txt").path("sha256").asString()).hasSize(64);
        JsonNode[] grepped = new JsonNode[1];
        JsonNode longLine = run("{\"root\": \"deep\", \"glob\": \"*.txt\", \"operation\": \"grep\", \"pattern\": \"^needle7\"}",
                grepped).get("one long line.txt");
        assertThat(longLine.path("matches").asLong()).isEqualTo(1);
        assertThat(longLine.path("cutChars").asLong()).isEqualTo((1 << 20) + 8 - 64 * 1024);
        assertThat(longLine.path("lines").get(0).path("text").asString()).hasSize(500).startsWith("needle7 aaa");
        assertThat(lines.values().stream().filter(line -> line.has("error")).findFirst().orElseThrow()
            .path("error").asString()).contains("FileSystemException");

        Api api = api();
        String id = api.submit("{\"type\": \"files\", \"payload\": {\"root\": \"deep\", \"operation\": \"checksum\", \"failFast\": true}}");
        JsonNode failed = api.awaitTerminal(id);
        assertThat(failed.path("state").asString()).isEqualTo("FAILED");
        assertThat(failed.path("error").path("code").asString()).isEqualTo("file_error");
        assertThat(failed.path("error").path("message").asString()).startsWith("failFast: ").contains("File name too long");
    }
}
