package bench.baseline;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The bare anchor of Spindle's REST benchmarks: what Spring Boot's MVC stack costs on its own on
 * this machine. {@code POST /api/v1/jobs} parses the body Spindle takes into the same record shape
 * and answers 202 with a Location header and {@code {"id": <random UUID>, "state": "QUEUED"}};
 * nothing is stored or run. {@code GET /api/v1/job-types} answers a constant list.
 *
 * <pre>java -jar bare-anchor.jar [PORT] [--spring.property=value ...]</pre>
 *
 * A first argument that is a number is the port (else {@code --server.port}, default 8080).
 */
@SpringBootApplication
@RestController
@RequestMapping(produces = MediaType.APPLICATION_JSON_VALUE)
public class BareApp {

    /** The shape of Spindle's submission (dev.spindle.job.JobRequest), without its validation. */
    record JobRequest(String type, JsonNode payload, Integer priority, Integer maxAttempts, Duration timeout,
            Instant runAt, Duration delay, String idempotencyKey) {
    }

    record Accepted(String id, String state) {
    }

    record JobType(String name, String description) {
    }

    private static final List<JobType> TYPES = List.of(new JobType("noop", "Does nothing and succeeds at once"),
            new JobType("sleep", "Sleeps for payload.ms milliseconds, then succeeds"));

    @PostMapping(path = "/api/v1/jobs", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Accepted> submit(@RequestBody JobRequest request) {
        if (request.type() == null || request.type().isBlank()) {
            return ResponseEntity.badRequest().build();
        }
        String id = UUID.randomUUID().toString();
        return ResponseEntity.accepted().location(URI.create("/api/v1/jobs/" + id)).body(new Accepted(id, "QUEUED"));
    }

    @GetMapping("/api/v1/job-types")
    List<JobType> types() {
        return TYPES;
    }

    public static void main(String[] args) {
        List<String> rest = new ArrayList<>(List.of(args));
        if (!rest.isEmpty() && rest.getFirst().matches("\\d+")) {
            rest.set(0, "--server.port=" + rest.getFirst());
        }
        SpringApplication.run(BareApp.class, rest.toArray(String[]::new));
    }
}
