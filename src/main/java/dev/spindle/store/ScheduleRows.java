package dev.spindle.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.spindle.schedule.Schedule;
import dev.spindle.schedule.ScheduleCounts;
import dev.spindle.schedule.ScheduleDefinition;
import dev.spindle.schedule.ScheduleSource;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The SQL of schedules. Called by {@link JdbcJobStore}, which runs the writes in its transactions. */
final class ScheduleRows {

    private static final String COLUMNS = """
            name, definition, source, paused, revision, next_fire_at, last_fire_at, last_job_id, fires, triggers,
            misfires_skipped, overlaps_skipped, previous_cancelled, created_at, updated_at, submitted_by""";

    private final JdbcClient jdbc;

    private final Dialect dialect;

    private final JsonMapper json;

    ScheduleRows(JdbcClient jdbc, Dialect dialect, JsonMapper json) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.json = json;
    }

    boolean insert(String name, ScheduleDefinition definition, ScheduleSource source, @Nullable String submittedBy,
            @Nullable Instant next, Instant now) {
        // the first revision is the creation time in microseconds: a fire planned from a schedule
        // deleted and created again under its name does not match the new one
        return jdbc.sql("""
                INSERT INTO schedules (name, definition, source, revision, next_fire_at, created_at, updated_at,
                                       submitted_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING""")
            .params(name, json.writeValueAsString(definition), source.value(), ChronoUnit.MICROS.between(Instant.EPOCH, now),
                    instantOrNull(next), dialect.instant(now), dialect.instant(now), textOrNull(submittedBy))
            .update() == 1;
    }

    Optional<Schedule> find(String name) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM schedules WHERE name = ?").param(name).query(this::map).optional();
    }

    List<Schedule> list() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM schedules ORDER BY name").query(this::map).list();
    }

    boolean replace(String name, long revision, ScheduleDefinition definition, ScheduleSource source,
            @Nullable String submittedBy, @Nullable Instant next, Instant now) {
        return jdbc.sql("""
                UPDATE schedules SET definition = ?, source = ?, submitted_by = ?, next_fire_at = ?,
                                     revision = revision + 1, updated_at = ?
                WHERE name = ? AND revision = ?""")
            .params(json.writeValueAsString(definition), source.value(), textOrNull(submittedBy), instantOrNull(next),
                    dialect.instant(now), name, revision)
            .update() == 1;
    }

    boolean delete(String name) {
        return jdbc.sql("DELETE FROM schedules WHERE name = ?").param(name).update() == 1;
    }

    List<String> deleteConfiguredExcept(Collection<String> configured) {
        List<String> gone = jdbc.sql("SELECT name FROM schedules WHERE source = 'config'")
            .query(String.class)
            .list()
            .stream()
            .filter(name -> !configured.contains(name))
            .toList();
        gone.forEach(this::delete);
        return gone;
    }

    boolean pause(String name, long revision, boolean paused, @Nullable Instant next, Instant now) {
        if (paused) {
            return jdbc.sql("UPDATE schedules SET paused = ?, updated_at = ? WHERE name = ? AND revision = ?")
                .params(true, dialect.instant(now), name, revision)
                .update() == 1;
        }
        return jdbc.sql("UPDATE schedules SET paused = ?, next_fire_at = ?, updated_at = ? WHERE name = ? AND revision = ?")
            .params(false, instantOrNull(next), dialect.instant(now), name, revision)
            .update() == 1;
    }

    List<Schedule> due(Instant now, int limit) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM schedules WHERE NOT paused AND next_fire_at <= ? "
                + "ORDER BY next_fire_at LIMIT ?")
            .params(dialect.instant(now), limit)
            .query(this::map)
            .list();
    }

    Optional<Instant> nextFireAt() {
        return jdbc.sql("SELECT next_fire_at FROM schedules WHERE NOT paused AND next_fire_at IS NOT NULL "
                + "ORDER BY next_fire_at LIMIT 1")
            .query((rs, row) -> Objects.requireNonNull(dialect.instant(rs, 1)))
            .optional();
    }

    /**
     * Moves the schedule on if it is as the fire was planned from. The update comes first: it takes
     * the row's lock, so a node that fires the same time at once waits for this one, then finds
     * the row moved on and changes nothing.
     */
    boolean advance(ScheduleFire fire) {
        Instant lastFire = fire.jobs().isEmpty() ? null : fire.jobs().getLast().runAt();
        String set = """
                UPDATE schedules SET last_fire_at = COALESCE(?, last_fire_at), misfires_skipped = misfires_skipped + ?,
                       overlaps_skipped = overlaps_skipped + ?, previous_cancelled = previous_cancelled + ?,
                       updated_at = ?""";
        if (fire.due() == null) {
            return jdbc.sql(set + " WHERE name = ? AND revision = ?")
                .params(instantOrNull(lastFire), fire.misfiresSkipped(), fire.overlapsSkipped(), fire.previousCancelled(),
                        dialect.instant(fire.now()), fire.name(), fire.revision())
                .update() == 1;
        }
        return jdbc.sql(set + ", next_fire_at = ? WHERE name = ? AND revision = ? AND NOT paused AND next_fire_at = ?")
            .params(instantOrNull(lastFire), fire.misfiresSkipped(), fire.overlapsSkipped(), fire.previousCancelled(),
                    dialect.instant(fire.now()), instantOrNull(fire.next()), fire.name(), fire.revision(),
                    dialect.instant(fire.due()))
            .update() == 1;
    }

    /**
     * Counts the jobs a fire inserted, and records the job that holds its last key (the one
     * inserted, or one there before) as the previous run.
     */
    void fired(ScheduleFire fire, int inserted) {
        String counted = fire.due() == null ? "triggers = triggers + ?" : "fires = fires + ?";
        jdbc.sql("UPDATE schedules SET last_job_id = (SELECT id FROM jobs WHERE idempotency_key = ?), " + counted
                + " WHERE name = ?")
            .params(fire.jobs().getLast().idempotencyKey(), inserted, fire.name())
            .update();
    }

    long count(boolean paused) {
        return jdbc.sql("SELECT COUNT(*) FROM schedules WHERE paused = ?").param(paused).query(Long.class).single();
    }

    /** A nullable instant, typed: a null bound without its type would need the driver's parameter metadata. */
    private SqlParameterValue instantOrNull(@Nullable Instant instant) {
        return new SqlParameterValue(dialect.instantType(), instant == null ? null : dialect.instant(instant));
    }

    /** A nullable text, typed for the same reason. */
    private static SqlParameterValue textOrNull(@Nullable String text) {
        return new SqlParameterValue(Types.VARCHAR, text);
    }

    private Schedule map(ResultSet rs, int row) throws SQLException {
        return new Schedule(rs.getString("name"),
                json.readValue(rs.getString("definition"), ScheduleDefinition.class),
                ScheduleSource.of(rs.getString("source")), rs.getBoolean("paused"), rs.getLong("revision"),
                dialect.instant(rs, "next_fire_at"), dialect.instant(rs, "last_fire_at"), rs.getString("last_job_id"),
                new ScheduleCounts(rs.getLong("fires"), rs.getLong("triggers"), rs.getLong("misfires_skipped"),
                        rs.getLong("overlaps_skipped"), rs.getLong("previous_cancelled")),
                Objects.requireNonNull(dialect.instant(rs, "created_at")),
                Objects.requireNonNull(dialect.instant(rs, "updated_at")), rs.getString("submitted_by"));
    }
}
