package dev.spindle.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.sql.DataSource;

import dev.spindle.schedule.MisfirePolicy;
import dev.spindle.schedule.OverlapPolicy;
import dev.spindle.schedule.Schedule;
import dev.spindle.schedule.ScheduleCounts;
import dev.spindle.schedule.ScheduleDefinition;
import dev.spindle.schedule.ScheduleSource;
import dev.spindle.schedule.ScheduledJob;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Schedules in the store: a fire applies once however many nodes fire the same time, and only to
 * the schedule as it was planned from. One subclass per database runs it on an empty schema.
 */
abstract class ScheduleStoreContractTests {

    static final ScheduleDefinition EVERY_SECOND = new ScheduleDefinition("* * * * * *", "UTC",
            new ScheduledJob("noop", null, null, null, null, null, null), MisfirePolicy.SKIP, null, 10, OverlapPolicy.ALLOW);

    final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    JdbcJobStore store;

    abstract DataSource dataSource();

    /** How many times the two-node fire race is run. */
    abstract int races();

    @BeforeEach
    void emptyStore() {
        store = TestStores.emptyStore(dataSource());
    }

    NewJob job(String name, Instant at) {
        return new NewJobBuilder(now).runAt(at).idempotencyKey("schedule:" + name + ":" + at).build();
    }

    ScheduleFire fire(String name, long revision, Instant due, NewJob job) {
        return new ScheduleFire(name, revision, due, due.plusSeconds(1), List.of(job), 0, 0, 0, now);
    }

    Schedule schedule(String name) {
        return store.findSchedule(name).orElseThrow();
    }

    long jobsWithKey(String key) {
        return JdbcClient.create(dataSource()).sql("SELECT COUNT(*) FROM jobs WHERE idempotency_key = ?").param(key)
            .query(Long.class).single();
    }

    @Test
    void aScheduleKeepsItsDefinition() {
        ScheduleDefinition definition = new ScheduleDefinition("0 30 2 * * *", "Europe/Berlin",
                new ScheduledJob("http", java.util.Map.of("url", "/x", "n", 3), "reports", "customer-1", 7, 2,
                        java.time.Duration.ofMinutes(5)),
                MisfirePolicy.CATCH_UP, java.time.Duration.ofHours(6), 4, OverlapPolicy.CANCEL_PREVIOUS);
        assertThat(store.insertSchedule("kept", definition, ScheduleSource.CONFIG, null, now.plusSeconds(60), now)).isTrue();
        assertThat(store.insertSchedule("kept", EVERY_SECOND, ScheduleSource.API, null, now, now)).as("the name is taken").isFalse();
        Schedule kept = schedule("kept");
        assertThat(kept.definition()).isEqualTo(definition);
        assertThat(kept.source()).isEqualTo(ScheduleSource.CONFIG);
        assertThat(kept.nextFireAt()).isEqualTo(now.plusSeconds(60));
        assertThat(kept.revision()).as("the creation time in microseconds").isEqualTo(now.toEpochMilli() * 1000);
        assertThat(kept.counts()).isEqualTo(ScheduleCounts.NONE);
    }

    @Test
    void whoLastDefinedAScheduleReadsBack() {
        store.insertSchedule("owned", EVERY_SECOND, ScheduleSource.API, "alice", now, now);
        store.insertSchedule("anonymous", EVERY_SECOND, ScheduleSource.API, null, now, now);
        assertThat(schedule("owned").submittedBy()).isEqualTo("alice");
        assertThat(schedule("anonymous").submittedBy()).isNull();
        assertThat(store.dueSchedules(now, 10)).extracting(Schedule::name, Schedule::submittedBy)
            .containsExactlyInAnyOrder(tuple("anonymous", null),
                    tuple("owned", "alice"));

        assertThat(store.replaceSchedule("owned", revision("owned"), EVERY_SECOND, ScheduleSource.API, "bob", now, now))
            .isTrue();
        assertThat(schedule("owned").submittedBy()).isEqualTo("bob");
        assertThat(store.pauseSchedule("owned", revision("owned"), true, null, now)).isTrue();
        assertThat(schedule("owned").submittedBy()).as("a pause defines nothing").isEqualTo("bob");
        assertThat(store.replaceSchedule("owned", revision("owned"), EVERY_SECOND, ScheduleSource.CONFIG, null, now, now))
            .isTrue();
        assertThat(schedule("owned").submittedBy()).isNull();
    }

    long revision(String name) {
        return schedule(name).revision();
    }

    @Test
    void aFireAppliesOnceWhenTwoNodesFireTheSameTime() throws Exception {
        store.insertSchedule("raced", EVERY_SECOND, ScheduleSource.API, null, now, now);
        long revision = revision("raced");
        CyclicBarrier barrier = new CyclicBarrier(2);
        try (ExecutorService nodes = Executors.newFixedThreadPool(2)) {
            for (int race = 0; race < races(); race++) {
                Instant due = now.plusSeconds(race);
                List<Future<Integer>> fires = new ArrayList<>();
                for (int node = 0; node < 2; node++) {
                    ScheduleFire fire = fire("raced", revision, due, job("raced", due));
                    fires.add(nodes.submit(() -> {
                        barrier.await();
                        return store.fireSchedule(fire);
                    }));
                }
                List<Integer> outcomes = List.of(fires.get(0).get(), fires.get(1).get());
                assertThat(outcomes).as("race %d", race).containsExactlyInAnyOrder(1, -1);
                assertThat(jobsWithKey("schedule:raced:" + due)).isEqualTo(1);
            }
        }
        Schedule raced = schedule("raced");
        assertThat(raced.counts().fires()).isEqualTo(races());
        assertThat(raced.nextFireAt()).isEqualTo(now.plusSeconds(races()));
        assertThat(raced.lastFireAt()).isEqualTo(now.plusSeconds(races() - 1));
        assertThat(store.find(raced.lastJobId()).orElseThrow().idempotencyKey())
            .isEqualTo("schedule:raced:" + now.plusSeconds(races() - 1));
    }

    @Test
    void aFirePlannedFromAnOlderRevisionOrWhilePausedDoesNotApply() {
        store.insertSchedule("changed", EVERY_SECOND, ScheduleSource.API, null, now, now);
        long first = revision("changed");
        assertThat(store.replaceSchedule("changed", first, EVERY_SECOND, ScheduleSource.API, null, now, now)).isTrue();
        assertThat(store.replaceSchedule("changed", first, EVERY_SECOND, ScheduleSource.API, null, now, now))
            .as("a replace from the old revision").isFalse();
        long second = revision("changed");
        assertThat(second).isEqualTo(first + 1);
        assertThat(store.fireSchedule(fire("changed", first, now, job("changed", now)))).isEqualTo(-1);
        assertThat(store.fireSchedule(fire("changed", second, now.minusSeconds(1), job("changed", now))))
            .as("due at another time").isEqualTo(-1);
        assertThat(store.pauseSchedule("changed", first, true, null, now)).as("a pause from the old revision").isFalse();

        assertThat(store.pauseSchedule("changed", second, true, null, now)).isTrue();
        assertThat(store.fireSchedule(fire("changed", second, now, job("changed", now)))).isEqualTo(-1);
        assertThat(jobsWithKey("schedule:changed:" + now)).isZero();

        // a trigger fires whatever the time, paused or not, and leaves the next fire time as it is
        NewJob triggered = new NewJobBuilder(now).idempotencyKey("schedule:changed:trigger:" + now).build();
        assertThat(store.fireSchedule(new ScheduleFire("changed", second, null, null, List.of(triggered), 0, 0, 1, now)))
            .isEqualTo(1);
        Schedule after = schedule("changed");
        assertThat(after.lastJobId()).isEqualTo(triggered.id());
        assertThat(after.counts()).isEqualTo(new ScheduleCounts(0, 1, 0, 0, 1));
        assertThat(after.nextFireAt()).isEqualTo(now);

        assertThat(store.pauseSchedule("changed", second, false, now.plusSeconds(30), now)).isTrue();
        assertThat(schedule("changed").nextFireAt()).isEqualTo(now.plusSeconds(30));
        assertThat(store.deleteSchedule("changed")).isTrue();
        assertThat(store.fireSchedule(fire("changed", second, now.plusSeconds(30), job("changed", now.plusSeconds(30)))))
            .isEqualTo(-1);
        // created again under the name: a fire planned from the old one does not apply to it
        store.insertSchedule("changed", EVERY_SECOND, ScheduleSource.API, null, now.plusSeconds(30), now.plusSeconds(1));
        assertThat(store.fireSchedule(fire("changed", second, now.plusSeconds(30), job("changed", now.plusSeconds(30)))))
            .isEqualTo(-1);
    }

    @Test
    void aKeyTakenAlreadyMakesItsHolderTheLastJob() {
        store.insertSchedule("taken", EVERY_SECOND, ScheduleSource.API, null, now, now);
        NewJob holder = job("taken", now);
        store.insert(List.of(holder));
        assertThat(store.fireSchedule(fire("taken", revision("taken"), now, job("taken", now)))).isZero();
        assertThat(jobsWithKey("schedule:taken:" + now)).isEqualTo(1);
        assertThat(schedule("taken").lastJobId()).isEqualTo(holder.id());
        assertThat(schedule("taken").nextFireAt()).isEqualTo(now.plusSeconds(1));
        assertThat(schedule("taken").counts().fires()).as("no job was inserted").isZero();
        assertThat(store.fireSchedule(fire("taken", revision("taken"), now.plusSeconds(1), job("taken", now.plusSeconds(1)))))
            .isEqualTo(1);
        assertThat(schedule("taken").counts().fires()).isEqualTo(1);
    }

    @Test
    void dueSchedulesAndTheNextFireLeaveOutPausedOnes() {
        store.insertSchedule("late", EVERY_SECOND, ScheduleSource.API, null, now.minusSeconds(5), now);
        store.insertSchedule("later", EVERY_SECOND, ScheduleSource.API, null, now.minusSeconds(1), now);
        store.insertSchedule("future", EVERY_SECOND, ScheduleSource.API, null, now.plusSeconds(7), now);
        store.insertSchedule("stopped", EVERY_SECOND, ScheduleSource.CONFIG, null, now.minusSeconds(9), now);
        store.pauseSchedule("stopped", revision("stopped"), true, null, now);
        store.insertSchedule("done", EVERY_SECOND, ScheduleSource.CONFIG, null, null, now);

        assertThat(store.dueSchedules(now, 10)).extracting(Schedule::name).containsExactly("late", "later");
        assertThat(store.dueSchedules(now, 1)).extracting(Schedule::name).containsExactly("late");
        assertThat(store.nextFireAt()).contains(now.minusSeconds(5));
        assertThat(store.countSchedules(true)).isEqualTo(1);
        assertThat(store.countSchedules(false)).isEqualTo(4);
        assertThat(store.listSchedules()).extracting(Schedule::name)
            .containsExactly("done", "future", "late", "later", "stopped");

        assertThat(store.deleteConfiguredExcept(Set.of("done"))).containsExactly("stopped");
        assertThat(store.listSchedules()).extracting(Schedule::name).containsExactly("done", "future", "late", "later");
    }
}
