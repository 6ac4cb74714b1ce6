package dev.spindle.config;

import java.time.Duration;
import java.util.Map;

import dev.spindle.schedule.ScheduleRequest;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Schedules defined in configuration ({@code spindle.schedules.<name>.*}, validated as a REST
 * request is when the ticker first runs) and the ticker's settings ({@code spindle.scheduler.*}).
 *
 * @param schedules the configured schedules by name; every node writes them into the store at
 *        start, so configure every node alike
 */
@Validated
@ConfigurationProperties("spindle")
public record ScheduleProperties(@DefaultValue Map<String, ScheduleRequest> schedules, @DefaultValue Scheduler scheduler) {

    public ScheduleProperties {
        schedules.keySet().forEach(name -> {
            if (!Names.valid(name)) {
                throw new IllegalArgumentException("spindle.schedules." + name + ": a schedule name is " + Names.RULE);
            }
        });
        schedules = Map.copyOf(schedules);
    }

    /**
     * @param enabled whether this node fires schedules (every node may: each fire time is
     *        submitted once however many do); the API serves schedules either way
     * @param misfireGrace how late a fire time may still be fired as on time; one later than this
     *        when a node gets to it was missed, and the schedule's misfire policy applies
     * @param refresh the longest a node waits before it reads the schedules again (one created or
     *        resumed on another node is seen within this)
     * @param maxSchedules most schedules the store holds
     */
    public record Scheduler(
            @DefaultValue("true") boolean enabled,
            @DefaultValue("10s") Duration misfireGrace,
            @DefaultValue("1s") Duration refresh,
            @DefaultValue("10000") int maxSchedules) {

        public Scheduler {
            if (misfireGrace.isNegative() || refresh.isNegative() || refresh.isZero()) {
                throw new IllegalArgumentException(
                        "spindle.scheduler: misfire-grace must not be negative and refresh must be more than 0");
            }
        }
    }
}
