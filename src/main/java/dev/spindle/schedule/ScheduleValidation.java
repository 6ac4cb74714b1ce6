package dev.spindle.schedule;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.spindle.config.JobProperties;
import dev.spindle.config.Names;
import dev.spindle.job.InvalidInputException;
import dev.spindle.job.JobService;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.stereotype.Component;

/**
 * Checks a schedule whole, as REST and configuration give it, and applies its defaults. Its job is
 * checked as a submission is ({@link JobService#prepare}), so a schedule that is stored can fire.
 */
@Component
class ScheduleValidation {

    static final String DEFAULT_ZONE = "UTC";

    static final int DEFAULT_CATCH_UP_LIMIT = 10;

    static final int MAX_CATCH_UP_LIMIT = 1000;

    private final JobService jobs;

    private final JsonMapper json;

    ScheduleValidation(JobService jobs, JsonMapper json) {
        this.jobs = jobs;
        this.json = json;
    }

    /** @throws InvalidInputException naming every field that is wrong */
    ScheduleDefinition definition(String name, ScheduleRequest request) {
        List<String> errors = new ArrayList<>();
        if (!Names.valid(name)) {
            errors.add("name: must be " + Names.RULE);
        }
        String zone = request.zone() == null ? DEFAULT_ZONE : request.zone();
        ZoneId zoneId = zone(zone, errors);
        String cron = request.cron() == null ? null : request.cron().strip();
        if (cron == null || cron.isEmpty()) {
            errors.add("cron: must be given: six fields (seconds first), five (Unix cron) or a macro such as @hourly");
        }
        else {
            // checked in UTC when the zone is wrong: both faults are named at once
            cron(cron, zoneId == null ? ZoneId.of(DEFAULT_ZONE) : zoneId, errors);
        }
        MisfirePolicy misfire = policy("misfire", request.misfire(), MisfirePolicy.RUN_ONCE, MisfirePolicy.of(
                String.valueOf(request.misfire())), "skip, run_once or catch_up", errors);
        OverlapPolicy overlap = policy("overlap", request.overlap(), OverlapPolicy.SKIP, OverlapPolicy.of(
                String.valueOf(request.overlap())), "allow, skip or cancel_previous", errors);
        Duration window = request.catchUpWindow();
        Integer limit = request.catchUpLimit();
        if (misfire != MisfirePolicy.CATCH_UP && (window != null || limit != null)) {
            errors.add((window != null ? "catchUpWindow" : "catchUpLimit") + ": only for misfire catch_up");
        }
        if (window != null && (window.isNegative() || window.isZero() || window.compareTo(JobProperties.MAX_DELAY_LIMIT) > 0)) {
            errors.add("catchUpWindow: must be more than PT0S and at most " + JobProperties.MAX_DELAY_LIMIT + " (100 years)");
        }
        if (limit != null && (limit < 1 || limit > MAX_CATCH_UP_LIMIT)) {
            errors.add("catchUpLimit: must be from 1 to " + MAX_CATCH_UP_LIMIT);
        }
        ScheduledJob job = request.job();
        if (job == null) {
            errors.add("job: must be given: the job to submit at each fire time (type, payload, ...)");
        }
        else {
            Instant now = jobs.now();
            // a check only: nothing is submitted, by anyone
            jobs.prepare(job.request(json, now, "schedule:" + name + ":check"), null, now, "job.", errors);
        }
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
        return new ScheduleDefinition(cron, zone, job, misfire, window, limit == null ? DEFAULT_CATCH_UP_LIMIT : limit,
                overlap);
    }

    private static @Nullable ZoneId zone(String zone, List<String> errors) {
        try {
            return ZoneId.of(zone);
        }
        catch (DateTimeException ex) {
            errors.add("zone: unknown time zone '" + abbreviate(zone) + "'; give an IANA id such as Europe/Berlin, or UTC");
            return null;
        }
    }

    private void cron(String cron, ZoneId zone, List<String> errors) {
        try {
            if (FireTimes.of(cron, zone).next(jobs.now()) == null) {
                errors.add("cron: '" + abbreviate(cron) + "' matches no time from now on");
            }
        }
        catch (IllegalArgumentException ex) {
            errors.add("cron: " + ex.getMessage());
        }
    }

    private static <P> P policy(String field, @Nullable String given, P fallback, Optional<P> parsed, String allowed,
            List<String> errors) {
        if (given == null) {
            return fallback;
        }
        if (parsed.isEmpty()) {
            errors.add(field + ": must be " + allowed + ", not '" + abbreviate(given) + "'");
            return fallback;
        }
        return parsed.get();
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "…";
    }
}
