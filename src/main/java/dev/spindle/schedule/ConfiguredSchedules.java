package dev.spindle.schedule;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.spindle.config.ScheduleProperties;
import dev.spindle.job.InvalidInputException;
import dev.spindle.store.ScheduleStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.stereotype.Component;

/**
 * The schedules of {@code spindle.schedules.<name>}: checked when the application starts (a bad one
 * stops the start, naming its field), written into the store by the ticker's first tick. A changed
 * definition replaces the stored one (its next fire time kept unless its cron or zone changed);
 * one no longer configured is deleted; its pause state and counts are the store's. No caller
 * defines them: their {@link Schedule#submittedBy()}, and that of the jobs they fire, is null.
 */
@Component
class ConfiguredSchedules {

    private static final Logger log = LoggerFactory.getLogger(ConfiguredSchedules.class);

    private final ScheduleStore store;

    private final Map<String, ScheduleDefinition> definitions = new LinkedHashMap<>();

    ConfiguredSchedules(ScheduleProperties properties, ScheduleValidation validation, ScheduleStore store) {
        this.store = store;
        properties.schedules().forEach((name, request) -> {
            try {
                definitions.put(name, validation.definition(name, request));
            }
            catch (InvalidInputException ex) {
                throw new IllegalStateException("spindle.schedules." + name + " is not a valid schedule: "
                        + String.join("; ", ex.errors()), ex);
            }
        });
    }

    boolean configured(String name) {
        return definitions.containsKey(name);
    }

    /** Writes the configured schedules into the store as they are configured here. */
    void sync(Instant now) {
        definitions.forEach((name, definition) -> {
            Optional<Schedule> stored = store.findSchedule(name);
            if (stored.isEmpty()) {
                if (store.insertSchedule(name, definition, ScheduleSource.CONFIG, null, definition.fireTimes().next(now),
                        now)) {
                    log.info("Schedule '{}' from configuration: {} in {}", name, definition.cron(), definition.zone());
                }
                return;
            }
            Schedule schedule = stored.get();
            if (schedule.definition().equals(definition) && schedule.source() == ScheduleSource.CONFIG) {
                return;
            }
            Instant next = definition.sameTimes(schedule.definition()) ? schedule.nextFireAt()
                    : definition.fireTimes().next(now);
            // another node starting with the same configuration may replace it first: same result
            if (store.replaceSchedule(name, schedule.revision(), definition, ScheduleSource.CONFIG, null, next, now)) {
                log.info("Schedule '{}' replaced by its definition in configuration{}", name,
                        schedule.source() == ScheduleSource.API ? " (it was created over the API)" : "");
            }
        });
        List<String> gone = store.deleteConfiguredExcept(definitions.keySet());
        if (!gone.isEmpty()) {
            log.info("Schedules no longer in configuration, deleted: {}", gone);
        }
    }
}
