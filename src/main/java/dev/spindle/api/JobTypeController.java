package dev.spindle.api;

import java.util.List;

import dev.spindle.job.JobService;
import dev.spindle.job.JobService.JobType;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Lists the registered job types. */
@RestController
class JobTypeController {

    private final JobService jobs;

    JobTypeController(JobService jobs) {
        this.jobs = jobs;
    }

    @GetMapping("/api/v1/job-types")
    List<JobType> types() {
        return jobs.types();
    }
}
