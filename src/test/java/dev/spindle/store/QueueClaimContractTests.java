package dev.spindle.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import dev.spindle.config.QueueProperties;
import dev.spindle.config.QueueProperties.Queue;
import dev.spindle.job.Job;
import dev.spindle.job.JobState;
import dev.spindle.queue.QueueCounts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Queues, limits and fair turns where jobs are claimed; one subclass per database runs it on an
 * empty, freshly migrated schema.
 */
abstract class QueueClaimContractTests {

    final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);

    abstract DataSource dataSource();

    /** How many times the two-instance claim race is run. */
    abstract int races();

    JdbcJobStore store(Map<String, Queue> queues) {
        return TestStores.emptyStore(dataSource(), new QueueProperties(queues));
    }

    static Queue limits(Integer maxRunning, Integer perNode, Integer perKey) {
        return new Queue(maxRunning, perNode, perKey, 1);
    }

    NewJobBuilder aJob() {
        return new NewJobBuilder(now);
    }

    List<NewJob> jobs(int n, String queue, String key) {
        return IntStream.range(0, n).mapToObj(i -> aJob().queue(queue).concurrencyKey(key).build()).toList();
    }

    static Claimed claim(JobStore store, String instance, int max, Instant at) {
        return store.claim(new Claim(max, new Lease("node-of-" + instance, instance, at.plusSeconds(30)), at));
    }

    Claimed claim(JobStore store, String instance, int max) {
        return claim(store, instance, max, now);
    }

    static Map<String, Long> byKey(List<Job> jobs) {
        Map<String, Long> counts = new HashMap<>();
        jobs.forEach(job -> counts.merge(String.valueOf(job.concurrencyKey()), 1L, Long::sum));
        return counts;
    }

    void succeed(JobStore store, String instance, Job job) {
        store.complete(instance, List.of(Completion.succeeded(job.id(), job.fencingToken(), null, now)), List.of());
    }

    @Test
    void aJobKeepsItsQueueAndKey() {
        JdbcJobStore store = store(Map.of());
        NewJob keyed = aJob().queue("exports").concurrencyKey("customer-42").build();
        NewJob plain = aJob().build();
        store.insert(List.of(keyed, plain));

        assertThat(store.find(keyed.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.queue()).isEqualTo("exports");
            assertThat(job.concurrencyKey()).isEqualTo("customer-42");
        });
        assertThat(store.find(plain.id()).orElseThrow()).satisfies(job -> {
            assertThat(job.queue()).isEqualTo("default");
            assertThat(job.concurrencyKey()).isNull();
        });
    }

    @Test
    void aKeyAtItsLimitIsNotClaimedAndFreesItsSlotWhenAJobEnds() {
        JdbcJobStore store = store(Map.of("calls", limits(null, null, 2)));
        List<NewJob> all = new ArrayList<>(jobs(10, "calls", "a"));
        all.addAll(jobs(10, "calls", "b"));
        store.insert(all);

        Claimed first = claim(store, "n1", 100);
        assertThat(byKey(first.jobs())).containsEntry("a", 2L).containsEntry("b", 2L).hasSize(2);
        assertThat(first.more()).as("held back by the limit, more is due").isTrue();
        assertThat(claim(store, "n2", 100).jobs()).as("the limit holds across instances").isEmpty();
        assertThat(jobsIn(store, JobState.QUEUED)).as("no attempt spent on a held-back job").allSatisfy(
                job -> assertThat(job.attempt()).isZero());

        succeed(store, "n1", first.jobs().stream().filter(job -> "a".equals(job.concurrencyKey())).findFirst().orElseThrow());
        assertThat(byKey(claim(store, "n2", 100).jobs())).containsExactly(Map.entry("a", 1L));
    }

    @Test
    void manyKeysTakeOneTurnEachAndKeysAtTheirLimitArePassedBy() {
        JdbcJobStore store = store(Map.of("calls", limits(null, null, 1)));
        for (int key = 0; key < 10; key++) {
            store.insert(jobs(5, "calls", "k" + key));
        }

        List<Job> first = claim(store, "n1", 5).jobs();
        List<Job> second = claim(store, "n2", 5).jobs();
        assertThat(byKey(first)).hasSize(5).allSatisfy((key, n) -> assertThat(n).isEqualTo(1));
        assertThat(byKey(second)).hasSize(5).allSatisfy((key, n) -> assertThat(n).isEqualTo(1));
        assertThat(byKey(first).keySet()).doesNotContainAnyElementsOf(byKey(second).keySet());
        Claimed third = claim(store, "n1", 5);
        assertThat(third.jobs()).isEmpty();
        assertThat(third.more()).as("held back, not dry").isTrue();

        Job done = second.get(2);
        succeed(store, "n2", done);
        assertThat(claim(store, "n1", 5).jobs()).extracting(Job::concurrencyKey).containsExactly(done.concurrencyKey());
    }

    @Test
    void turnsGoRoundAllKeys() {
        JdbcJobStore store = store(Map.of());
        for (int key = 0; key < 7; key++) {
            store.insert(jobs(10, "default", "k" + key));
        }
        Map<String, Long> taken = new HashMap<>();
        for (int claim = 0; claim < 7; claim++) {
            // 5 slots, 7 keys: each claim goes on where the last one stopped
            List<Job> jobs = claim(store, "n1", 5).jobs();
            assertThat(byKey(jobs)).hasSize(5);
            jobs.forEach(job -> taken.merge(job.concurrencyKey(), 1L, Long::sum));
        }
        assertThat(taken).hasSize(7).allSatisfy((key, n) -> assertThat(n).isEqualTo(5));
    }

    @Test
    void aQueueLimitHoldsAcrossInstancesAndPerNode() {
        JdbcJobStore store = store(Map.of("partner", limits(5, null, null), "local", limits(null, 2, null)));
        store.insert(jobs(20, "partner", null));
        store.insert(jobs(20, "local", null));

        List<Job> n1 = claim(store, "n1", 3).jobs();
        List<Job> n2 = claim(store, "n2", 100).jobs();
        List<Job> n3 = claim(store, "n3", 100).jobs();
        List<Job> all = new ArrayList<>(n1);
        all.addAll(n2);
        all.addAll(n3);
        assertThat(all.stream().filter(job -> job.queue().equals("partner"))).hasSize(5);
        assertThat(n2.stream().filter(job -> job.queue().equals("local"))).hasSize(2);
        assertThat(n3.stream().filter(job -> job.queue().equals("local"))).hasSize(2);
        assertThat(claim(store, "n3", 100).jobs()).isEmpty();
    }

    @Test
    void keysTakeTurnsSoOneKeysBacklogDelaysAnotherKeyByAClaimAtMost() {
        JdbcJobStore store = store(Map.of());
        store.insert(jobs(100_000, "default", "A"));
        List<NewJob> b = jobs(10, "default", "B");
        store.insert(b);

        // claims of 10 slots: the lanes take turns, so each claim takes 5 of B's ten
        Claimed first = claim(store, "n1", 10);
        Claimed second = claim(store, "n1", 10);
        assertThat(byKey(first.jobs())).containsEntry("A", 5L).containsEntry("B", 5L);
        assertThat(byKey(second.jobs())).containsEntry("A", 5L).containsEntry("B", 5L);

        // claims of one slot alternate: a B job never waits behind more than one A job
        store.insert(jobs(3, "default", "B"));
        List<String> turns = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            turns.add(claim(store, "n1", 1).jobs().getFirst().concurrencyKey());
        }
        assertThat(turns).containsSubsequence("B", "A", "B", "A", "B").filteredOn("B"::equals).hasSize(3);
    }

    @Test
    void lanesAndQueuesOfDelayedJobsOnlyDoNotUseUpAClaim() {
        // five keys and a queue whose jobs are all delayed (say, backing off), before the due ones
        // in the turns: a claim of one slot still takes a due job
        JdbcJobStore store = store(Map.of());
        for (String key : List.of("a", "b", "c", "d", "e")) {
            store.insert(List.of(aJob().concurrencyKey(key).runAt(now.plusSeconds(3600)).build()));
        }
        store.insert(List.of(aJob().queue("aaa-later").runAt(now.plusSeconds(3600)).build()));
        store.insert(jobs(3, "default", "z"));

        for (int i = 0; i < 3; i++) {
            Claimed claimed = claim(store, "n1", 1);
            assertThat(claimed.jobs()).as("claim %d", i).extracting(Job::concurrencyKey).containsExactly("z");
        }
        assertThat(claim(store, "n1", 1).jobs()).isEmpty();
    }

    @Test
    void queuesShareAClaimByWeight() {
        JdbcJobStore store = store(Map.of("hi", new Queue(null, null, null, 3), "lo", new Queue(null, null, null, 1)));
        store.insert(jobs(100, "hi", null));
        store.insert(jobs(100, "lo", null));

        Map<String, Long> perQueue = new HashMap<>();
        for (int i = 0; i < 8; i++) {
            // one slot at a time: the turns carry over from claim to claim
            Job job = claim(store, "n1", 1).jobs().getFirst();
            perQueue.merge(job.queue(), 1L, Long::sum);
        }
        assertThat(perQueue).containsEntry("hi", 6L).containsEntry("lo", 2L);
        List<Job> big = claim(store, "n1", 40).jobs();
        assertThat(big.stream().filter(job -> job.queue().equals("hi"))).hasSize(30);
    }

    @Test
    void aLaneThatRunsDryGivesItsShareToTheOthersInTheSameClaim() {
        JdbcJobStore store = store(Map.of());
        store.insert(jobs(2, "default", "small"));
        store.insert(jobs(100, "default", "big"));
        store.insert(jobs(1, "other", null));

        Claimed claimed = claim(store, "n1", 50);
        assertThat(claimed.jobs()).hasSize(50);
        assertThat(byKey(claimed.jobs())).containsEntry("small", 2L).containsEntry("big", 47L).containsEntry("null", 1L);
        assertThat(claimed.more()).isTrue();
        assertThat(claim(store, "n1", 100).jobs()).hasSize(53);
        assertThat(claim(store, "n1", 100)).isEqualTo(Claimed.NOTHING);
    }

    @Test
    void aPausedQueueIsClaimedByNoInstanceUntilResumed() {
        JdbcJobStore store = store(Map.of());
        store.insert(jobs(5, "reports", null));
        store.insert(jobs(5, "default", null));

        store.pauseQueue("reports", true, now);
        Claimed claimed = claim(store, "n1", 100);
        assertThat(claimed.jobs()).extracting(Job::queue).containsOnly("default").hasSize(5);
        assertThat(claim(store, "n2", 100)).isEqualTo(Claimed.NOTHING);
        assertThat(store.queueCounts(List.of(), now)).filteredOn(q -> q.name().equals("reports"))
            .singleElement()
            .satisfies(q -> assertThat(q.paused()).isTrue())
            .satisfies(q -> assertThat(q.queued()).isEqualTo(5));

        store.pauseQueue("reports", false, now);
        assertThat(claim(store, "n2", 100).jobs()).extracting(Job::queue).containsOnly("reports").hasSize(5);
    }

    @Test
    void dueJobsThatNoClaimTakesDoNotMakeAnIdleDispatcherLookAgainAtOnce() {
        // a paused queue's due jobs, and a limited key's: an idle dispatcher sleeps until the next
        // delayed job (or a wake-up), not until a start time that has passed (it would spin)
        JdbcJobStore store = store(Map.of("calls", limits(null, null, 1)));
        store.insert(jobs(3, "reports", null));
        store.insert(jobs(3, "calls", "k"));
        store.insert(List.of(aJob().queue("reports").runAt(now.plusSeconds(90)).build()));
        store.pauseQueue("reports", true, now);
        assertThat(claim(store, "n1", 10).jobs()).hasSize(1);
        assertThat(claim(store, "n1", 10).jobs()).isEmpty();

        assertThat(store.nextRunAt(now)).contains(now.plusSeconds(90));
        assertThat(store.nextRunAt(now.plusSeconds(90))).isEmpty();
    }

    @Test
    void anExpiredLeaseGivesItsSlotBack() {
        JdbcJobStore store = store(Map.of("calls", limits(null, null, 1)));
        store.insert(jobs(3, "calls", "k"));

        assertThat(claim(store, "dead", 10).jobs()).hasSize(1);
        assertThat(claim(store, "alive", 10, now.plusSeconds(40)).jobs()).as("the dead node's lease still counts")
            .isEmpty();
        store.reapExpired(now.plusSeconds(31));
        Claimed after = claim(store, "alive", 10, now.plusSeconds(40));
        assertThat(after.jobs()).as("one slot, neither lost nor doubled").hasSize(1);
        assertThat(claim(store, "alive", 10, now.plusSeconds(40)).jobs()).isEmpty();
    }

    @Test
    void countsPerQueueShowWhatTheLimitsHoldBack() {
        JdbcJobStore store = store(Map.of("calls", limits(null, null, 1), "partner", limits(2, null, null)));
        store.insert(jobs(3, "calls", "a"));
        store.insert(jobs(2, "calls", "b"));
        store.insert(jobs(4, "partner", null));
        store.insert(List.of(aJob().queue("partner").runAt(now.plusSeconds(600)).build()));
        claim(store, "n1", 100);

        Map<String, QueueCounts> counts = new HashMap<>();
        store.queueCounts(List.of("idle"), now).forEach(q -> counts.put(q.name(), q));
        assertThat(counts.get("calls")).isEqualTo(new QueueCounts("calls", 3, 3, 2, 0, 3, false));
        assertThat(counts.get("partner")).isEqualTo(new QueueCounts("partner", 3, 2, 2, 0, 2, false));
        assertThat(counts.get("idle")).isEqualTo(new QueueCounts("idle", 0, 0, 0, 0, 0, false));
    }

    @Test
    void twoInstancesTakingOneJobOfManyKeysAtOnceNeverPassTheLimits() throws Exception {
        // eight keys and five slots: each claim walks the lanes and takes their heads
        JdbcJobStore store = store(Map.of("partner", limits(5, null, 1)));
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int race = 0; race < races(); race++) {
                for (int key = 0; key < 8; key++) {
                    store.insert(jobs(2, "partner", "k" + key));
                }
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<List<Job>>> claims = new ArrayList<>();
                for (String instance : List.of("n1", "n2")) {
                    claims.add(threads.submit(() -> {
                        start.await();
                        return claim(store, instance, 4).jobs();
                    }));
                }
                List<Job> claimed = new ArrayList<>();
                for (Future<List<Job>> claim : claims) {
                    List<Job> one = claim.get();
                    assertThat(one).as("race %d: no more than the claim's slots", race).hasSizeLessThanOrEqualTo(4);
                    claimed.addAll(one);
                }
                assertThat(claimed).as("race %d", race).hasSize(5);
                assertThat(byKey(claimed).values()).as("race %d", race).allSatisfy(n -> assertThat(n).isEqualTo(1));
                new org.springframework.jdbc.core.JdbcTemplate(dataSource()).update("DELETE FROM jobs");
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    @Test
    void twoInstancesClaimingAtOnceNeverPassTheLimit() throws Exception {
        JdbcJobStore store = store(Map.of("partner", limits(5, null, 2)));
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int race = 0; race < races(); race++) {
                store.insert(jobs(6, "partner", "x"));
                store.insert(jobs(6, "partner", "y"));
                store.insert(jobs(6, "partner", "z"));
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<List<Job>>> claims = new ArrayList<>();
                for (String instance : List.of("n1", "n2")) {
                    claims.add(threads.submit(() -> {
                        start.await();
                        return claim(store, instance, 10).jobs();
                    }));
                }
                List<Job> claimed = new ArrayList<>();
                for (Future<List<Job>> claim : claims) {
                    claimed.addAll(claim.get());
                }
                assertThat(claimed).as("race %d", race).hasSize(5);
                assertThat(byKey(claimed).values()).as("race %d", race).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(2));
                new org.springframework.jdbc.core.JdbcTemplate(dataSource()).update("DELETE FROM jobs");
            }
        }
        finally {
            threads.shutdownNow();
        }
    }

    private List<Job> jobsIn(JdbcJobStore store, JobState state) {
        return store.list(new dev.spindle.job.JobQuery(state, null, 1000, null)).items();
    }
}
