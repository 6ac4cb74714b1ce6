package dev.spindle.api;

import java.net.URI;
import java.util.List;

import dev.spindle.job.Job;
import dev.spindle.schedule.ScheduleRequest;
import dev.spindle.schedule.ScheduleService;
import dev.spindle.schedule.ScheduleService.Saved;
import dev.spindle.schedule.ScheduleView;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The schedules resource: create, read, replace, delete, pause, resume and trigger now. */
@RestController
@RequestMapping(path = "/api/v1/schedules", produces = MediaType.APPLICATION_JSON_VALUE)
class ScheduleController {

    private final ScheduleService schedules;

    ScheduleController(ScheduleService schedules) {
        this.schedules = schedules;
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ScheduleView> create(@RequestBody ScheduleRequest request) {
        ScheduleView schedule = schedules.create(request);
        return ResponseEntity.created(location(schedule.name())).body(schedule);
    }

    @GetMapping
    Schedules list() {
        return new Schedules(schedules.list());
    }

    @GetMapping("/{name}")
    ScheduleView get(@PathVariable String name) {
        return schedules.find(name);
    }

    @PutMapping(path = "/{name}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ScheduleView> put(@PathVariable String name, @RequestBody ScheduleRequest request) {
        Saved saved = schedules.put(name, request);
        return saved.created() ? ResponseEntity.created(location(name)).body(saved.schedule())
                : ResponseEntity.ok(saved.schedule());
    }

    @DeleteMapping("/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        schedules.delete(name);
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{name}/pause")
    ScheduleView pause(@PathVariable String name) {
        return schedules.pause(name);
    }

    @PostMapping("/{name}/resume")
    ScheduleView resume(@PathVariable String name) {
        return schedules.resume(name);
    }

    /** Submits the schedule's job now: 202 with the job, as a submission. */
    @PostMapping("/{name}/trigger")
    ResponseEntity<Job> trigger(@PathVariable String name) {
        Job job = schedules.trigger(name);
        return ResponseEntity.status(HttpStatus.ACCEPTED).location(URI.create("/api/v1/jobs/" + job.id())).body(job);
    }

    private static URI location(String name) {
        return URI.create("/api/v1/schedules/" + name);
    }

    /** The list's body: an object, so that fields can be added later. */
    record Schedules(List<ScheduleView> items) {
    }
}
