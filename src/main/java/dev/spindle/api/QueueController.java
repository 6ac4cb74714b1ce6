package dev.spindle.api;

import java.util.List;

import dev.spindle.queue.QueueService;
import dev.spindle.queue.QueueView;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The queues resource: counts, limits, pause and resume. */
@RestController
@RequestMapping(path = "/api/v1/queues", produces = MediaType.APPLICATION_JSON_VALUE)
class QueueController {

    private final QueueService queues;

    QueueController(QueueService queues) {
        this.queues = queues;
    }

    /** Every configured queue and every queue with jobs not yet ended (or paused), by name. */
    @GetMapping
    Queues list() {
        return new Queues(queues.list());
    }

    @GetMapping("/{name}")
    QueueView get(@PathVariable String name) {
        return queues.find(name);
    }

    @PostMapping("/{name}/pause")
    QueueView pause(@PathVariable String name) {
        return queues.pause(name);
    }

    @PostMapping("/{name}/resume")
    QueueView resume(@PathVariable String name) {
        return queues.resume(name);
    }

    /** The list's body: an object, so that fields can be added later. */
    record Queues(List<QueueView> items) {
    }
}
