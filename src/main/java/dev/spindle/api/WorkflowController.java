package dev.spindle.api;

import java.net.URI;
import java.time.Duration;

import dev.spindle.config.ApiProperties;
import dev.spindle.workflow.WorkflowNotFoundException;
import dev.spindle.workflow.WorkflowPage;
import dev.spindle.workflow.WorkflowQuery;
import dev.spindle.workflow.WorkflowRequest;
import dev.spindle.workflow.WorkflowService;
import dev.spindle.workflow.WorkflowService.Submission;
import dev.spindle.workflow.WorkflowState;
import dev.spindle.workflow.WorkflowView;
import org.jspecify.annotations.Nullable;

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

/** The workflows resource: submit, read (with long-poll), list, cancel, retry. */
@RestController
@RequestMapping(path = "/api/v1/workflows", produces = MediaType.APPLICATION_JSON_VALUE)
class WorkflowController {

    private final WorkflowService workflows;

    private final ApiProperties properties;

    WorkflowController(WorkflowService workflows, ApiProperties properties) {
        this.workflows = workflows;
        this.properties = properties;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<WorkflowView> submit(@RequestBody @Nullable WorkflowRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) @Nullable String idempotencyKey) {
        WorkflowRequest keyed = request == null || idempotencyKey == null ? request
                : new WorkflowRequest(request.name(), RequestParameters.idempotencyKey(request.idempotencyKey(),
                        idempotencyKey), request.steps(), request.onFailure());
        Submission submission = workflows.submit(keyed);
        WorkflowView workflow = submission.workflow();
        if (!submission.created()) {
            return ResponseEntity.ok(workflow);
        }
        return ResponseEntity.accepted().location(location(workflow)).body(workflow);
    }

    @GetMapping("/{id}")
    WorkflowView get(@PathVariable String id, @RequestParam(required = false) @Nullable Duration wait) {
        if (wait == null) {
            return workflows.find(id).orElseThrow(() -> new WorkflowNotFoundException(id));
        }
        return workflows.await(id, RequestParameters.wait(wait, properties));
    }

    @GetMapping
    WorkflowPage list(@RequestParam(required = false) @Nullable WorkflowState state,
            @RequestParam(required = false) @Nullable String name, @RequestParam(required = false) @Nullable Integer limit,
            @RequestParam(required = false) @Nullable String after) {
        return workflows.list(new WorkflowQuery(state, name, RequestParameters.pageSize(limit, properties), after));
    }

    @PostMapping("/{id}/cancel")
    WorkflowView cancel(@PathVariable String id) {
        return workflows.cancel(id);
    }

    @PostMapping("/{id}/retry")
    ResponseEntity<WorkflowView> retry(@PathVariable String id) {
        WorkflowView workflow = workflows.retry(id);
        return ResponseEntity.accepted().location(location(workflow)).body(workflow);
    }

    private static URI location(WorkflowView workflow) {
        return URI.create("/api/v1/workflows/" + workflow.id());
    }
}
