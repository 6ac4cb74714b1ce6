package dev.spindle.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import dev.spindle.Api;
import dev.spindle.Api.Response;
import dev.spindle.MutableClock;
import dev.spindle.SpindleTest;
import dev.spindle.TestHandlers.GateHandler;
import dev.spindle.store.ScheduleStore;
import dev.spindle.tcp.RespServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.SafeEncoder;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Schedules over REST and RESP, fired by the ticker's {@link Scheduler#tick} under a test clock (the
 * ticker thread is off here): each fire time once, DST across a transition, pause and resume,
 * the overlap policies with a job that outlives its period, trigger now, a configured schedule, and
 * bad input refused naming its field. A schedule's jobs go to a paused queue where a test only
 * counts them, so that none runs while the clock jumps.
 */
@SpindleTest
@Import(MutableClock.Config.class)
@DirtiesContext
@TestPropertySource(properties = { "spindle.scheduler.enabled=false",
        "spindle.schedules.nightly-report.cron=0 0 3 * * *", "spindle.schedules.nightly-report.zone=Europe/Berlin",
        "spindle.schedules.nightly-report.job.type=noop", "spindle.schedules.nightly-report.job.payload.report=daily",
        "spindle.schedules.nightly-report.job.queue=held" })
class ScheduleTests {

    static final MutableClock CLOCK = MutableClock.Config.SHARED;

    @LocalServerPort
    int port;

    @Autowired
    Scheduler ticker;

    @Autowired
    GateHandler gate;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    RespServer resp;

    @Autowired
    MeterRegistry meters;

    @Autowired
    ScheduleStore store;

    Api api;

    @BeforeEach
    void start() {
        CLOCK.set(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        api = new Api(port);
        gate.reset();
        assertThat(api.post("/api/v1/queues/held/pause", "").status()).isEqualTo(200);
        ticker.tick();
    }

    @AfterEach
    void openGate() {
        gate.open();
    }

    private static String schedule(String name, String cron, String extra) {
        return """
                {"name": "%s", "cron": "%s", "job": {"type": "noop", "queue": "held", "payload": {"n": 1}}%s}"""
            .formatted(name, cron, extra.isEmpty() ? "" : ", " + extra);
    }

    private Response create(String json) {
        Response created = api.post("/api/v1/schedules", json);
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        return created;
    }

    /** The fire times of the schedule's jobs, from their idempotency keys, in order. */
    private List<Instant> fired(String name) {
        String prefix = "schedule:" + name + ":";
        return jdbc.sql("SELECT idempotency_key FROM jobs WHERE idempotency_key LIKE ? ORDER BY idempotency_key")
            .param(prefix + "%")
            .query(String.class)
            .list()
            .stream()
            .filter(key -> !key.startsWith(prefix + "trigger:"))
            .map(key -> Instant.parse(key.substring(prefix.length())))
            .toList();
    }

    private JsonNode counts(String name) {
        return api.get("/api/v1/schedules/" + name).body().path("counts");
    }

    private void tickAt(Instant at) {
        CLOCK.set(at);
        ticker.tick();
    }

    @Test
    void createsReadsListsReplacesAndDeletes() {
        Response created = create(schedule("crud", "0 */5 * * * *", ""));
        assertThat(created.header("Location")).isEqualTo("/api/v1/schedules/crud");
        JsonNode body = created.body();
        assertThat(body.path("zone").asString()).isEqualTo("UTC");
        assertThat(body.path("misfire").asString()).isEqualTo("run_once");
        assertThat(body.path("overlap").asString()).isEqualTo("skip");
        assertThat(body.path("catchUpLimit").asInt()).isEqualTo(10);
        assertThat(body.path("source").asString()).isEqualTo("api");
        assertThat(body.path("paused").asBoolean()).isFalse();
        assertThat(body.path("lastFire").isMissingNode() || body.path("lastFire").isNull()).isTrue();
        assertThat(body.path("job").path("payload").path("n").asInt()).isEqualTo(1);
        List<Instant> next = new ArrayList<>();
        body.path("nextFireTimes").forEach(at -> next.add(Instant.parse(at.asString())));
        assertThat(next).hasSize(5).isSorted();
        assertThat(next.getFirst()).isAfter(CLOCK.instant()).isBeforeOrEqualTo(CLOCK.instant().plus(Duration.ofMinutes(5)));
        assertThat(Duration.between(next.get(0), next.get(1))).isEqualTo(Duration.ofMinutes(5));

        assertThat(api.post("/api/v1/schedules", schedule("crud", "@daily", "")).status()).isEqualTo(409);

        Response replaced = api.put("/api/v1/schedules/crud", schedule("crud", "0 0 12 * * *", "\"zone\": \"Asia/Tokyo\""));
        assertThat(replaced.status()).as(replaced.raw().body()).isEqualTo(200);
        Instant noonInTokyo = Instant.parse(replaced.body().path("nextFireTimes").get(0).asString());
        assertThat(noonInTokyo.atZone(java.time.ZoneId.of("Asia/Tokyo")).getHour()).isEqualTo(12);
        assertThat(api.put("/api/v1/schedules/crud-put", schedule("crud-put", "@hourly", "")).status()).isEqualTo(201);

        List<String> names = new ArrayList<>();
        api.get("/api/v1/schedules").body().path("items").forEach(item -> names.add(item.path("name").asString()));
        assertThat(names).contains("crud", "crud-put", "nightly-report").isSorted();

        assertThat(api.delete("/api/v1/schedules/crud").status()).isEqualTo(204);
        assertThat(api.get("/api/v1/schedules/crud").status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/schedules/crud").status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/schedules/crud-put").status()).isEqualTo(204);
    }

    @Test
    void badInputIsRefusedNamingTheFieldAndStoresNothing() {
        long before = jdbc.sql("SELECT COUNT(*) FROM schedules").query(Long.class).single();
        assertRefused(schedule("bad", "61 * * * * *", ""), "cron: ");
        assertRefused(schedule("bad", "every day", ""), "cron: ");
        assertRefused(schedule("bad", "0 0 0 30 2 *", ""), "cron: '0 0 0 30 2 *' matches no time from now on");
        assertRefused(schedule("bad", "@hourly", "\"zone\": \"Mars/Olympus\""), "zone: unknown time zone 'Mars/Olympus'");
        assertRefused(schedule("bad", "@hourly", "\"misfire\": \"sometimes\""), "misfire: must be skip, run_once or catch_up");
        assertRefused(schedule("bad", "@hourly", "\"overlap\": \"never\""), "overlap: must be allow, skip or cancel_previous");
        assertRefused(schedule("bad", "@hourly", "\"catchUpLimit\": 5"), "catchUpLimit: only for misfire catch_up");
        assertRefused(schedule("bad", "@hourly", "\"misfire\": \"catch_up\", \"catchUpLimit\": 0"), "catchUpLimit: must be from 1");
        assertRefused(schedule("bad", "@hourly", "\"misfire\": \"catch_up\", \"catchUpWindow\": \"PT100000000000000000S\""),
                "catchUpWindow: must be more than PT0S and at most");
        assertRefused(schedule("Bad Name", "@hourly", ""), "name: must be");
        assertRefused("{\"cron\": \"@hourly\", \"job\": {\"type\": \"noop\"}}", "name: must be given");
        assertRefused("{\"name\": \"bad\", \"cron\": \"@hourly\"}", "job: must be given");
        assertRefused("{\"name\": \"bad\", \"cron\": \"@hourly\", \"job\": {\"type\": \"nope\"}}", "job.type: unknown job type 'nope'");
        assertRefused("{\"name\": \"bad\", \"cron\": \"@hourly\", \"job\": {\"type\": \"noop\", \"priority\": 12}}", "job.priority");
        assertRefused("{\"name\": \"bad\", \"cron\": \"@hourly\", \"job\": {\"type\": \"noop\", \"queue\": \"Q!\"}}", "job.queue: must be");
        // two faults at once: both named
        Response both = api.post("/api/v1/schedules", "{\"name\": \"bad\", \"cron\": \"nope\", \"zone\": \"Nowhere\", \"job\": {\"type\": \"noop\"}}");
        assertThat(both.status()).isEqualTo(400);
        assertThat(both.body().path("errors").toString()).contains("cron: ").contains("zone: ");
        assertThat(api.post("/api/v1/schedules", "{\"name\": \"bad\", \"cron\": 5, \"job\": []}").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/schedules", "not json").status()).isEqualTo(400);
        assertThat(api.put("/api/v1/schedules/one", schedule("other", "@hourly", "")).status()).isEqualTo(400);
        assertThat(api.get("/api/v1/schedules/NOT%20A%20NAME").status()).isEqualTo(400);
        assertThat(api.post("/api/v1/schedules/missing/trigger", "").status()).isEqualTo(404);
        assertThat(jdbc.sql("SELECT COUNT(*) FROM schedules").query(Long.class).single()).isEqualTo(before);
    }

    private void assertRefused(String json, String error) {
        Response response = api.post("/api/v1/schedules", json);
        assertThat(response.status()).as(json).isEqualTo(400);
        assertThat(response.header("Content-Type")).contains("application/problem+json");
        assertThat(response.body().path("errors").toString()).as(json).contains(error);
    }

    @Test
    void eachFireTimeIsSubmittedOnceWithAKeyNamingIt() {
        Instant t0 = CLOCK.instant();
        create(schedule("every-second", "* * * * * *", "\"overlap\": \"allow\""));
        ticker.tick();
        assertThat(fired("every-second")).isEmpty();

        tickAt(t0.plusSeconds(1));
        ticker.tick();
        assertThat(fired("every-second")).containsExactly(t0.plusSeconds(1));
        // three seconds on, within the grace: each of the three fires, on time
        tickAt(t0.plusSeconds(4));
        assertThat(fired("every-second")).containsExactly(t0.plusSeconds(1), t0.plusSeconds(2), t0.plusSeconds(3),
                t0.plusSeconds(4));
        JsonNode view = api.get("/api/v1/schedules/every-second").body();
        assertThat(view.path("counts").path("fires").asLong()).isEqualTo(4);
        assertThat(view.path("counts").path("misfiresSkipped").asLong()).isZero();
        assertThat(view.path("lastFire").path("at").asString()).isEqualTo(t0.plusSeconds(4).toString());
        String lastJob = view.path("lastFire").path("jobId").asString();
        JsonNode job = api.get("/api/v1/jobs/" + lastJob).body();
        assertThat(job.path("idempotencyKey").asString()).isEqualTo("schedule:every-second:" + t0.plusSeconds(4));
        assertThat(job.path("runAt").asString()).isEqualTo(t0.plusSeconds(4).toString());
        assertThat(job.path("queue").asString()).isEqualTo("held");
        assertThat(job.path("payload").path("n").asInt()).isEqualTo(1);
        assertThat(view.path("lastFire").path("jobState").asString()).isEqualTo("QUEUED");
        assertThat(meters.get("spindle.schedules.fires").tag("schedule", "every-second").tag("outcome", "fired")
            .counter().count()).isEqualTo(4);
        assertThat(api.delete("/api/v1/schedules/every-second").status()).isEqualTo(204);
    }

    @Test
    void berlinAcrossBothTransitionsThroughTheTicker() {
        CLOCK.set(Instant.parse("2026-03-28T12:00:00Z"));
        create(schedule("berlin-half-two", "0 30 2 * * *", "\"zone\": \"Europe/Berlin\", \"overlap\": \"allow\""));
        create(schedule("berlin-hourly", "@hourly", "\"zone\": \"Europe/Berlin\", \"overlap\": \"allow\""));
        runTicksUntil(Instant.parse("2026-03-29T03:30:00Z"), "berlin-half-two", "berlin-hourly");
        assertThat(fired("berlin-half-two")).containsExactly(Instant.parse("2026-03-29T01:00:00Z"));
        assertThat(fired("berlin-hourly")).filteredOn(at -> at.isAfter(Instant.parse("2026-03-28T22:30:00Z")))
            .containsExactly(Instant.parse("2026-03-28T23:00:00Z"), Instant.parse("2026-03-29T00:00:00Z"),
                    Instant.parse("2026-03-29T01:00:00Z"), Instant.parse("2026-03-29T02:00:00Z"),
                    Instant.parse("2026-03-29T03:00:00Z"));

        // on to October: the times of the months between are not the test's; they are skipped
        api.post("/api/v1/schedules/berlin-half-two/pause", "");
        api.post("/api/v1/schedules/berlin-hourly/pause", "");
        CLOCK.set(Instant.parse("2026-10-24T21:30:00Z"));
        api.post("/api/v1/schedules/berlin-half-two/resume", "");
        api.post("/api/v1/schedules/berlin-hourly/resume", "");
        runTicksUntil(Instant.parse("2026-10-25T03:30:00Z"), "berlin-half-two", "berlin-hourly");
        assertThat(fired("berlin-half-two")).containsExactly(Instant.parse("2026-03-29T01:00:00Z"),
                Instant.parse("2026-10-25T00:30:00Z"));
        assertThat(fired("berlin-hourly")).filteredOn(at -> at.isAfter(Instant.parse("2026-10-24T21:30:00Z")))
            .containsExactly(Instant.parse("2026-10-24T22:00:00Z"), Instant.parse("2026-10-24T23:00:00Z"),
                    Instant.parse("2026-10-25T00:00:00Z"), Instant.parse("2026-10-25T02:00:00Z"),
                    Instant.parse("2026-10-25T03:00:00Z"));
        assertThat(counts("berlin-hourly").path("misfiresSkipped").asLong()).isZero();
        api.delete("/api/v1/schedules/berlin-half-two");
        api.delete("/api/v1/schedules/berlin-hourly");
    }

    @Test
    void newYorkAcrossBothTransitionsThroughTheTicker() {
        CLOCK.set(Instant.parse("2026-03-07T00:00:00Z"));
        create(schedule("ny-half-two", "0 30 2 * * *", "\"zone\": \"America/New_York\", \"overlap\": \"allow\""));
        create(schedule("ny-hourly", "0 0 * * * *", "\"zone\": \"America/New_York\", \"overlap\": \"allow\""));
        runTicksUntil(Instant.parse("2026-03-08T08:30:00Z"), "ny-half-two", "ny-hourly");
        assertThat(fired("ny-half-two")).containsExactly(Instant.parse("2026-03-07T07:30:00Z"),
                Instant.parse("2026-03-08T07:00:00Z"));
        assertThat(fired("ny-hourly")).filteredOn(at -> at.isAfter(Instant.parse("2026-03-08T04:30:00Z")))
            .containsExactly(Instant.parse("2026-03-08T05:00:00Z"), Instant.parse("2026-03-08T06:00:00Z"),
                    Instant.parse("2026-03-08T07:00:00Z"), Instant.parse("2026-03-08T08:00:00Z"));

        api.post("/api/v1/schedules/ny-half-two/pause", "");
        api.post("/api/v1/schedules/ny-hourly/pause", "");
        CLOCK.set(Instant.parse("2026-11-01T03:30:00Z"));
        api.post("/api/v1/schedules/ny-half-two/resume", "");
        api.post("/api/v1/schedules/ny-hourly/resume", "");
        runTicksUntil(Instant.parse("2026-11-01T08:30:00Z"), "ny-half-two", "ny-hourly");
        assertThat(fired("ny-half-two")).filteredOn(at -> at.isAfter(Instant.parse("2026-11-01T00:00:00Z")))
            .containsExactly(Instant.parse("2026-11-01T07:30:00Z"));
        assertThat(fired("ny-hourly")).filteredOn(at -> at.isAfter(Instant.parse("2026-11-01T03:30:00Z")))
            .containsExactly(Instant.parse("2026-11-01T04:00:00Z"), Instant.parse("2026-11-01T05:00:00Z"),
                    Instant.parse("2026-11-01T07:00:00Z"), Instant.parse("2026-11-01T08:00:00Z"));
        api.delete("/api/v1/schedules/ny-half-two");
        api.delete("/api/v1/schedules/ny-hourly");
    }

    @Test
    void aScheduleThatCannotFireHereLeavesTheOthersFiring() {
        Instant t0 = CLOCK.instant();
        // as a node without the job's type sees a schedule another version stored: it stays due
        ScheduleDefinition gone = new ScheduleDefinition("* * * * * *", "UTC",
                new ScheduledJob("gone", null, "held", null, null, null, null), MisfirePolicy.SKIP, null, 10,
                OverlapPolicy.ALLOW);
        store.insertSchedule("elsewhere", gone, ScheduleSource.API, null, t0.plusSeconds(1), t0);
        create(schedule("beside", "* * * * * *", "\"overlap\": \"allow\""));
        tickAt(t0.plusSeconds(1));
        assertThat(fired("beside")).containsExactly(t0.plusSeconds(1));
        assertThat(fired("elsewhere")).isEmpty();
        JsonNode stuck = api.get("/api/v1/schedules/elsewhere").body();
        assertThat(stuck.path("nextFireTimes").get(0).asString()).isEqualTo(t0.plusSeconds(1).toString());
        assertThat(stuck.path("counts").path("fires").asLong()).isZero();
        api.delete("/api/v1/schedules/elsewhere");
        api.delete("/api/v1/schedules/beside");
    }

    @Test
    void aSchedulesJobsAreSubmittedByWhoeverLastDefinedIt() {
        Instant t0 = CLOCK.instant();
        ScheduleDefinition held = new ScheduleDefinition("* * * * * *", "UTC",
                new ScheduledJob("noop", null, "held", null, null, null, null), MisfirePolicy.SKIP, null, 10,
                OverlapPolicy.ALLOW);
        // as a create by an authenticated caller stores it
        store.insertSchedule("owned", held, ScheduleSource.API, "alice", t0.plusSeconds(1), t0);
        assertThat(api.get("/api/v1/schedules/owned").body().path("submittedBy").asString()).isEqualTo("alice");
        tickAt(t0.plusSeconds(1));
        Response triggered = api.post("/api/v1/schedules/owned/trigger", "");
        assertThat(triggered.status()).isEqualTo(202);
        assertThat(triggered.body().path("submittedBy").asString()).as("whoever triggers it").isEqualTo("alice");
        assertThat(submitters("owned")).containsExactly("alice", "alice");

        // replaced by a caller who is not authenticated: from now on its jobs are nobody's
        Response replaced = api.put("/api/v1/schedules/owned", schedule("owned", "* * * * * *", "\"overlap\": \"allow\""));
        assertThat(replaced.status()).isEqualTo(200);
        assertThat(replaced.body().has("submittedBy")).isFalse();
        tickAt(t0.plusSeconds(2));
        assertThat(submitters("owned")).containsExactly("alice", "alice", null);
        api.delete("/api/v1/schedules/owned");
    }

    /** Who submitted each of the schedule's jobs, in the order they were created. */
    private List<String> submitters(String name) {
        return jdbc.sql("SELECT submitted_by FROM jobs WHERE idempotency_key LIKE ? ORDER BY created_at, id")
            .param("schedule:" + name + ":%")
            .query((rs, row) -> rs.getString(1))
            .list();
    }

    /**
     * Moves the clock onto each next fire time the schedules show (so that every fire is on time),
     * ticking at each, until {@code end}: what fires is what the ticker found due.
     */
    private void runTicksUntil(Instant end, String... names) {
        Instant at = CLOCK.instant();
        while (at.isBefore(end)) {
            Instant step = end;
            for (String name : names) {
                JsonNode next = api.get("/api/v1/schedules/" + name).body().path("nextFireTimes").path(0);
                if (!next.isMissingNode()) {
                    Instant fire = Instant.parse(next.asString());
                    step = fire.isBefore(step) ? fire : step;
                }
            }
            at = step.isAfter(end) ? end : step;
            tickAt(at);
        }
    }

    @Test
    void pauseStopsFiringAndResumeGoesOnFromNow() {
        Instant t0 = CLOCK.instant();
        create(schedule("pausing", "* * * * * *", "\"overlap\": \"allow\""));
        tickAt(t0.plusSeconds(1));
        assertThat(fired("pausing")).hasSize(1);

        JsonNode paused = api.post("/api/v1/schedules/pausing/pause", "").body();
        assertThat(paused.path("paused").asBoolean()).isTrue();
        assertThat(paused.path("nextFireTimes").size()).isZero();
        tickAt(t0.plusSeconds(5));
        assertThat(fired("pausing")).hasSize(1);
        // triggered while paused: a job now
        Response triggered = api.post("/api/v1/schedules/pausing/trigger", "");
        assertThat(triggered.status()).isEqualTo(202);
        assertThat(triggered.body().path("idempotencyKey").asString()).startsWith("schedule:pausing:trigger:");

        JsonNode resumed = api.post("/api/v1/schedules/pausing/resume", "").body();
        assertThat(resumed.path("paused").asBoolean()).isFalse();
        assertThat(resumed.path("nextFireTimes").get(0).asString()).isEqualTo(t0.plusSeconds(6).toString());
        tickAt(t0.plusSeconds(6));
        assertThat(fired("pausing")).containsExactly(t0.plusSeconds(1), t0.plusSeconds(6));
        JsonNode counts = counts("pausing");
        assertThat(counts.path("fires").asLong()).isEqualTo(2);
        assertThat(counts.path("triggers").asLong()).isEqualTo(1);
        assertThat(counts.path("misfiresSkipped").asLong()).as("paused times are not misfires").isZero();
        api.delete("/api/v1/schedules/pausing");
    }

    @Test
    void overlapSkipLeavesOutFiresWhileThePreviousRunGoesOn() {
        Instant t0 = CLOCK.instant();
        create("""
                {"name": "outlives-skip", "cron": "* * * * * *", "overlap": "skip", "job": {"type": "gate"}}""");
        tickAt(t0.plusSeconds(1));
        String first = api.get("/api/v1/schedules/outlives-skip").body().path("lastFire").path("jobId").asString();
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.started.contains(first));

        tickAt(t0.plusSeconds(2));
        tickAt(t0.plusSeconds(3));
        assertThat(counts("outlives-skip").path("overlapsSkipped").asLong()).isEqualTo(2);
        assertThat(api.post("/api/v1/schedules/outlives-skip/trigger", "").status())
            .as("a trigger under skip while the previous run goes on").isEqualTo(409);
        assertThat(gate.started).containsExactly(first);

        gate.open();
        assertThat(api.awaitTerminal(first).path("state").asString()).isEqualTo("SUCCEEDED");
        tickAt(t0.plusSeconds(4));
        JsonNode view = api.get("/api/v1/schedules/outlives-skip").body();
        assertThat(view.path("counts").path("fires").asLong()).isEqualTo(2);
        assertThat(view.path("lastFire").path("at").asString()).isEqualTo(t0.plusSeconds(4).toString());
        api.awaitTerminal(view.path("lastFire").path("jobId").asString());
        api.delete("/api/v1/schedules/outlives-skip");
    }

    @Test
    void cancelPreviousCancelsTheRunningJobForTheNextFire() {
        Instant t0 = CLOCK.instant();
        create("""
                {"name": "outlives-cancel", "cron": "* * * * * *", "overlap": "cancel_previous", "job": {"type": "gate"}}""");
        tickAt(t0.plusSeconds(1));
        String first = api.get("/api/v1/schedules/outlives-cancel").body().path("lastFire").path("jobId").asString();
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.started.contains(first));

        tickAt(t0.plusSeconds(2));
        assertThat(api.awaitTerminal(first).path("state").asString()).isEqualTo("CANCELLED");
        assertThat(gate.interrupted).containsExactly(first);
        String second = api.get("/api/v1/schedules/outlives-cancel").body().path("lastFire").path("jobId").asString();
        assertThat(second).isNotEqualTo(first);
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.started.contains(second));
        JsonNode counts = counts("outlives-cancel");
        assertThat(counts.path("previousCancelled").asLong()).isEqualTo(1);
        assertThat(counts.path("fires").asLong()).isEqualTo(2);
        gate.open();
        assertThat(api.awaitTerminal(second).path("state").asString()).isEqualTo("SUCCEEDED");
        api.delete("/api/v1/schedules/outlives-cancel");
    }

    @Test
    void aConfiguredScheduleIsStoredAndCanOnlyBeChangedInConfiguration() {
        JsonNode configured = api.get("/api/v1/schedules/nightly-report").body();
        assertThat(configured.path("source").asString()).isEqualTo("config");
        assertThat(configured.has("submittedBy")).as("no caller defined it").isFalse();
        assertThat(configured.path("zone").asString()).isEqualTo("Europe/Berlin");
        assertThat(configured.path("job").path("payload").path("report").asString()).isEqualTo("daily");
        Instant next = Instant.parse(configured.path("nextFireTimes").get(0).asString());
        assertThat(next.atZone(java.time.ZoneId.of("Europe/Berlin")).getHour()).isEqualTo(3);

        Response replaced = api.put("/api/v1/schedules/nightly-report", schedule("nightly-report", "@hourly", ""));
        assertThat(replaced.status()).isEqualTo(409);
        assertThat(replaced.body().path("detail").asString()).contains("spindle.schedules.nightly-report");
        assertThat(api.delete("/api/v1/schedules/nightly-report").status()).isEqualTo(409);
        assertThat(api.post("/api/v1/schedules/nightly-report/pause", "").body().path("paused").asBoolean()).isTrue();
        // a tick writes the configuration again: the pause stays, as the store has it
        ticker.tick();
        assertThat(api.post("/api/v1/schedules/nightly-report/resume", "").body().path("paused").asBoolean()).isFalse();
    }

    @Test
    void redisClientsListGetAndTriggerSchedules() {
        create(schedule("over-resp", "@daily", ""));
        try (Jedis jedis = new Jedis("127.0.0.1", resp.port(), 30_000)) {
            @SuppressWarnings("unchecked")
            List<byte[]> listed = (List<byte[]>) jedis.sendCommand(() -> SafeEncoder.encode("SCHEDULE.LIST"));
            List<String> names = listed.stream().map(bytes -> Api.parse(SafeEncoder.encode(bytes)).path("name").asString())
                .toList();
            assertThat(names).contains("over-resp", "nightly-report");
            String one = SafeEncoder.encode((byte[]) jedis.sendCommand(() -> SafeEncoder.encode("SCHEDULE.GET"), "over-resp"));
            assertThat(Api.parse(one).path("cron").asString()).isEqualTo("@daily");
            assertThat(jedis.sendCommand(() -> SafeEncoder.encode("SCHEDULE.GET"), "no-such")).isNull();
            String job = SafeEncoder.encode((byte[]) jedis.sendCommand(() -> SafeEncoder.encode("SCHEDULE.TRIGGER"), "over-resp"));
            assertThat(api.get("/api/v1/jobs/" + job).body().path("idempotencyKey").asString())
                .startsWith("schedule:over-resp:trigger:");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                    () -> jedis.sendCommand(() -> SafeEncoder.encode("SCHEDULE.TRIGGER"), "no-such")))
                .hasMessageContaining("No schedule 'no-such'");
            assertThat(jedis.ping()).isEqualTo("PONG");
        }
        api.delete("/api/v1/schedules/over-resp");
    }
}
