package dev.spindle.api;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.spindle.config.ApiProperties;
import dev.spindle.job.Job;
import dev.spindle.job.JobNotFoundException;
import dev.spindle.job.JobPage;
import dev.spindle.job.JobQuery;
import dev.spindle.job.JobRequest;
import dev.spindle.job.JobService;
import dev.spindle.job.JobService.Cancellation;
import dev.spindle.job.JobService.Submission;
import dev.spindle.job.JobState;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The jobs resource: submit, read (with long-poll), list, cancel, retry. */
@RestController
@RequestMapping(path = "/api/v1/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
class JobController {

    private final JobService jobs;

    private final ApiProperties properties;

    JobController(JobService jobs, ApiProperties properties) {
        this.jobs = jobs;
        this.properties = properties;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Job> submit(@RequestBody JobRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) @Nullable String idempotencyKey) {
        Submission submission = jobs.submit(withHeaderKey(request, idempotencyKey));
        Job job = submission.job();
        if (!submission.created()) {
            return ResponseEntity.ok(job);
        }
        return ResponseEntity.accepted().location(location(job)).body(job);
    }

    @PostMapping(path = "/batch", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<BatchResponse> submitBatch(@RequestBody BatchRequest request) {
        List<JobRequest> requests = request.jobs() == null ? List.of() : request.jobs();
        if (requests.size() > properties.maxBatch()) {
            throw new InvalidRequestException(
                    "jobs: a batch holds at most " + properties.maxBatch() + " jobs, this one has " + requests.size());
        }
        List<Job> submitted = jobs.submitBatch(requests).stream().map(Submission::job).toList();
        return ResponseEntity.accepted().body(new BatchResponse(submitted));
    }

    @GetMapping("/{id}")
    Job get(@PathVariable String id, @RequestParam(required = false) @Nullable Duration wait) {
        if (wait == null) {
            return jobs.find(id).orElseThrow(() -> new JobNotFoundException(id));
        }
        return jobs.await(id, RequestParameters.wait(wait, properties));
    }

    @GetMapping
    JobPage list(@RequestParam(required = false) @Nullable JobState state,
            @RequestParam(required = false) @Nullable String type, @RequestParam(required = false) @Nullable Integer limit,
            @RequestParam(required = false) @Nullable String after) {
        return jobs.list(new JobQuery(state, type, RequestParameters.pageSize(limit, properties), after));
    }

    @PostMapping("/{id}/cancel")
    ResponseEntity<Job> cancel(@PathVariable String id) {
        Cancellation cancellation = jobs.cancel(id);
        return ResponseEntity.status(cancellation.finished() ? HttpStatus.OK : HttpStatus.ACCEPTED)
            .body(cancellation.job());
    }

    @PostMapping("/{id}/retry")
    ResponseEntity<Job> retry(@PathVariable String id) {
        Job job = jobs.retry(id);
        return ResponseEntity.accepted().location(location(job)).body(job);
    }

    private static JobRequest withHeaderKey(JobRequest request, @Nullable String header) {
        return header == null ? request
                : request.withIdempotencyKey(RequestParameters.idempotencyKey(request.idempotencyKey(), header));
    }

    private static URI location(Job job) {
        return URI.create("/api/v1/jobs/" + job.id());
    }

    /** {@code {"jobs": [...]}} */
    record BatchRequest(@Nullable List<JobRequest> jobs) {
    }

    /** The submitted jobs, in the order given (a repeat of an idempotency key gives the existing job). */
    record BatchResponse(List<Job> jobs) {
    }
}
