package dev.spindle.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import dev.spindle.config.QueueProperties;
import dev.spindle.config.QueueProperties.Queue;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The claim step with queues, limits and fair turns. A job's lane is its queue and concurrency
 * key; the ready jobs of every lane are in dispatch order on the index {@code jobs_ready (queue,
 * concurrency_key, priority DESC, run_at, id)}, whose keys both databases sort by their bytes. A
 * claim:
 * <ol>
 * <li>finds the queues with queued jobs, skipping from one to the next on that index (one probe
 * per queue), and leaves out the paused ones;</li>
 * <li>for the queues with limits, locks their rows in {@code queues} (PostgreSQL: one node at a
 * time counts and claims a limited queue's jobs) and counts their running jobs per lane and node
 * on a partial index of the running jobs;</li>
 * <li>splits its slots among the queues by weight (smooth weighted round robin, kept between
 * claims, so a queue of weight 1 gets its turn even in claims of one slot), each at most what its
 * limits leave;</li>
 * <li>looks for a queue's lanes after the lane the last claim ended with (one probe per lane). A
 * queue with at least as many lanes as slots takes one job from each of the next lanes that have a
 * due job and room under the per-key limit, in one statement that walks them (lanes of delayed
 * jobs only, or at their limit, are passed by, at most {@link #MAX_LANES} of them); a queue with
 * fewer lanes shares its slots among them in turn, each at most what the per-key limit leaves;</li>
 * <li>what a lane or queue could not give goes to those that gave all they were asked, for up to
 * {@link #PASSES} statements.</li>
 * </ol>
 * One queue and no keys (the plain case) costs two probes and one read more than a plain claim.
 * Priority orders the jobs of a lane; between lanes, turns do.
 */
final class LaneClaims implements ClaimStep {

    /** Most lanes of one queue a claim looks at: the turn goes on from where it stopped. */
    static final int MAX_LANES = 256;

    /**
     * Most queues a claim looks at: queues are few, but a job may name any queue; beyond this many,
     * each claim goes on from where the last one stopped, as with lanes.
     */
    static final int MAX_QUEUES = 256;

    static final int PASSES = 3;

    private static final int UNLIMITED = Integer.MAX_VALUE;

    private final JdbcClient jdbc;

    private final Dialect dialect;

    private final QueueProperties config;

    private final String queuesFromStartSql;

    private final String queuesAfterSql;

    private final String lanesFromStartSql;

    private final String lanesAfterSql;

    private final String laneSql;

    private final String headsSql;

    private final String headsWithRoomSql;

    /** Guards the turns kept between claims (a node's dispatcher and completion writer may claim at once). */
    private final Object turns = new Object();

    /** Per queue, the lane the last claim gave its last slot to: the next one starts after it. */
    private final Map<String, String> cursors = new HashMap<>();

    /** The queue the last claim's look at the queues ended with, when there were more than it looks at. */
    private @Nullable String queueCursor;

    /** Per queue, its credit in the weighted round robin. */
    private final Map<String, Long> credits = new HashMap<>();

    /** Limited queues whose rows in {@code queues} this process has made sure of. */
    private final Set<String> rowsMade = ConcurrentHashMap.newKeySet();

    LaneClaims(JdbcClient jdbc, Dialect dialect, QueueProperties config) {
        this.jdbc = jdbc;
        this.dialect = dialect;
        this.config = config;
        String source = dialect.claimSource();
        this.queuesFromStartSql = queues(source, ">=");
        this.queuesAfterSql = queues(source, ">");
        this.lanesFromStartSql = lanes(source, ">=");
        this.lanesAfterSql = lanes(source, ">");
        this.laneSql = """
                SELECT id FROM (SELECT id FROM %s
                                WHERE state = 'QUEUED' AND queue = ? AND concurrency_key = ? AND run_at <= ?
                                ORDER BY priority DESC, run_at, id LIMIT ?%s) lane""".formatted(source,
                dialect.skipLocked());
        this.headsSql = heads(source, false);
        this.headsWithRoomSql = heads(source, true);
    }

    /** The queues with queued jobs, in order, from a name on: one probe of the index each. */
    private static String queues(String source, String from) {
        return """
                WITH RECURSIVE found(q, n) AS (
                    SELECT (SELECT queue FROM %1$s WHERE state = 'QUEUED' AND queue %2$s ? ORDER BY queue LIMIT 1), 1
                    UNION ALL
                    SELECT (SELECT queue FROM %1$s WHERE state = 'QUEUED' AND queue > found.q ORDER BY queue LIMIT 1),
                           n + 1
                    FROM found WHERE found.q IS NOT NULL AND found.n < ?
                )
                SELECT q FROM found WHERE q IS NOT NULL""".formatted(source, from);
    }

    /** The keys of a queue's lanes with queued jobs, in order, from a key on: one probe of the index each. */
    private static String lanes(String source, String from) {
        return """
                WITH RECURSIVE found(k, n) AS (
                    SELECT (SELECT concurrency_key FROM %1$s
                            WHERE state = 'QUEUED' AND queue = ? AND concurrency_key %2$s ?
                            ORDER BY concurrency_key LIMIT 1), 1
                    UNION ALL
                    SELECT (SELECT concurrency_key FROM %1$s
                            WHERE state = 'QUEUED' AND queue = ? AND concurrency_key > found.k
                            ORDER BY concurrency_key LIMIT 1), n + 1
                    FROM found WHERE found.k IS NOT NULL AND found.n < ?
                )
                SELECT k FROM found WHERE k IS NOT NULL""".formatted(source, from);
    }

    /**
     * The heads (next job in dispatch order) of a queue's lanes after a key, then round from the
     * first lane up to that key, one from each lane with a due job (and, with {@code room}, fewer
     * running jobs than a per-key limit), as many as asked: a walk of at most {@link #MAX_LANES}
     * lanes each way that stops once it has them. A lane with no due job gives NULL, left out.
     * The inner LIMITs keep PostgreSQL from pulling the walks up and evaluating each head twice.
     */
    private String heads(String source, boolean room) {
        String roomCheck = room
                ? " AND (SELECT COUNT(*) FROM jobs WHERE state = 'RUNNING' AND queue = ? AND concurrency_key = found.k) < ?"
                : "";
        String walk = """
                SELECT id FROM (
                WITH RECURSIVE found(k, n) AS (
                    SELECT (SELECT concurrency_key FROM %1$s
                            WHERE state = 'QUEUED' AND queue = ? AND concurrency_key %2$s ?
                            ORDER BY concurrency_key LIMIT 1), 1
                    UNION ALL
                    SELECT (SELECT concurrency_key FROM %1$s
                            WHERE state = 'QUEUED' AND queue = ? AND concurrency_key > found.k
                            ORDER BY concurrency_key LIMIT 1), n + 1
                    FROM found WHERE found.k IS NOT NULL AND found.n < ?
                )
                SELECT (SELECT id FROM %1$s
                        WHERE state = 'QUEUED' AND queue = ? AND concurrency_key = found.k AND run_at <= ?
                        ORDER BY priority DESC, run_at, id LIMIT 1%3$s) AS id
                FROM found WHERE found.k IS NOT NULL AND found.k <= ?%4$s LIMIT ?) %5$s
                WHERE id IS NOT NULL""";
        return """
                SELECT id FROM (SELECT id FROM (
                %s
                UNION ALL
                %s) both_ways LIMIT ?) heads""".formatted(
                walk.formatted(source, ">", dialect.skipLocked(), roomCheck, "after_cursor"),
                walk.formatted(source, ">=", dialect.skipLocked(), roomCheck, "from_first"));
    }

    /** Keys in the order both databases keep them: by their UTF-8 bytes. */
    static int compareKeys(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** A queue's part in one claim. */
    private static final class QueueTurn {

        final String name;

        final Queue limits;

        /** Slots its queue-wide and per-node limits still leave. */
        int room;

        int share;

        /** Its lanes in the order of their turns: those after {@link #cursor} first, then from the first. */
        final List<LaneTurn> lanes = new ArrayList<>();

        /** Where its lanes were looked for from (null: from the first). */
        @Nullable String cursor;

        /** Whether this claim found as many of its lanes as slots: then it walks them for their heads. */
        boolean heads;

        /** Whether this claim has looked for its lanes (a queue first given a share in a later pass has not). */
        boolean looked;

        /** The lane given the last slot: the next claim starts after it. */
        @Nullable String lastServed;

        QueueTurn(String name, Queue limits, int room) {
            this.name = name;
            this.limits = limits;
            this.room = room;
        }

        /** What its lanes could still take in this claim: all its room while they are not looked for. */
        int capacity() {
            if (!looked) {
                return room;
            }
            long sum = 0;
            for (LaneTurn lane : lanes) {
                sum += lane.room();
            }
            return (int) Math.min(room, sum);
        }
    }

    /** A lane's part in one claim. */
    private static final class LaneTurn {

        final Lane lane;

        /** Slots the per-key limit still leaves. */
        int room;

        /** Asked of it in the current statement. */
        int asked;

        /** False once it gave less than it was asked: it has nothing more due. */
        boolean deep = true;

        LaneTurn(Lane lane, int room) {
            this.lane = lane;
            this.room = room;
        }

        int room() {
            return deep ? room - asked : 0;
        }
    }

    @Override
    public <R> Taken<R> claim(int max, Instant now, String instance, Function<Candidates, List<R>> take,
            Function<R, Lane> laneOf) {
        List<String> names = queuesWithJobs();
        if (names.isEmpty()) {
            return new Taken<>(List.of(), false);
        }
        Set<String> paused = new HashSet<>(jdbc.sql("SELECT name FROM queues WHERE paused").query(String.class).list());
        List<String> open = names.stream().filter(name -> !paused.contains(name)).toList();
        Running running = running(open, instance);
        boolean heldBack = false;
        List<QueueTurn> queues = new ArrayList<>();
        for (String name : open) {
            Queue limits = config.queue(name);
            int room = UNLIMITED;
            if (limits.maxRunning() != null) {
                room = Math.min(room, limits.maxRunning() - running.total(name));
            }
            if (limits.maxRunningPerNode() != null) {
                room = Math.min(room, limits.maxRunningPerNode() - running.onNode(name));
            }
            if (room <= 0) {
                heldBack = true;
                continue;
            }
            queues.add(new QueueTurn(name, limits, room));
        }
        synchronized (turns) {
            cursors.keySet().retainAll(open);
        }
        List<R> rows = new ArrayList<>();
        for (int pass = 0; pass < PASSES && rows.size() < max; pass++) {
            // what is left goes to the queues that can still take it: those not looked at yet (a
            // queue whose lanes had nothing due gives its share to the next), and lanes that gave
            // all they were asked
            split(max - rows.size(), queues, QueueTurn::capacity);
            for (QueueTurn queue : queues) {
                if (queue.share > 0 && !queue.looked) {
                    queue.looked = true;
                    heldBack |= findLanes(queue, running);
                }
            }
            List<LaneTurn> asked = new ArrayList<>();
            for (QueueTurn queue : queues) {
                handOut(queue, asked);
            }
            if (asked.isEmpty() && queues.stream().noneMatch(queue -> queue.heads)) {
                break;
            }
            List<R> got = take.apply(candidates(queues, asked, now));
            rows.addAll(got);
            took(queues, asked, got, laneOf, running);
        }
        boolean more = heldBack || rows.size() == max;
        for (QueueTurn queue : queues) {
            for (LaneTurn lane : queue.lanes) {
                // one that gave all it was asked may have more; at its limit now, its jobs end
                more |= lane.deep;
            }
            if (queue.lastServed != null) {
                synchronized (turns) {
                    cursors.put(queue.name, queue.lastServed);
                }
            }
        }
        return new Taken<>(rows, more);
    }

    /**
     * The queues with queued jobs: all of them, or {@link #MAX_QUEUES} going on from where the
     * last claim stopped and round to the first.
     */
    private List<String> queuesWithJobs() {
        String cursor;
        synchronized (turns) {
            cursor = queueCursor;
        }
        List<String> names = new ArrayList<>(cursor == null ? List.of()
                : jdbc.sql(queuesAfterSql).params(cursor, MAX_QUEUES).query(String.class).list());
        if (names.size() < MAX_QUEUES) {
            for (String name : jdbc.sql(queuesFromStartSql).params("", MAX_QUEUES - names.size())
                .query(String.class)
                .list()) {
                if (names.contains(name)) {
                    break;
                }
                names.add(name);
            }
        }
        synchronized (turns) {
            queueCursor = names.size() == MAX_QUEUES ? names.getLast() : null;
        }
        return names;
    }

    /**
     * Looks for as many of a queue's lanes as its share (more where the per-key limit holds some
     * back), after the lane the last claim ended with and round from the first. As many found: the
     * queue takes the heads of its next lanes (a walk in SQL, which passes by the lanes with no
     * due job or no room); fewer: these are all its lanes, and they share its slots.
     *
     * @return whether the per-key limit held back a lane with queued jobs
     */
    private boolean findLanes(QueueTurn queue, Running running) {
        Integer perKey = queue.limits.maxRunningPerKey();
        int atLimit = perKey == null ? 0 : running.lanesAtLimit(queue.name, perKey);
        int wanted = Math.min(MAX_LANES, queue.share + atLimit);
        String cursor;
        synchronized (turns) {
            cursor = cursors.get(queue.name);
        }
        queue.cursor = cursor;
        List<String> keys = new ArrayList<>(cursor == null ? List.of() : keys(lanesAfterSql, queue.name, cursor, wanted));
        if (keys.size() < wanted) {
            for (String key : keys(lanesFromStartSql, queue.name, "", wanted - keys.size())) {
                if (cursor != null && compareKeys(key, cursor) > 0) {
                    break;
                }
                keys.add(key);
            }
        }
        if (keys.size() >= wanted) {
            queue.heads = true;
            return atLimit > 0;
        }
        boolean heldBack = false;
        for (String key : keys) {
            int room = perKey == null ? UNLIMITED : perKey - running.lane(queue.name, key);
            if (room <= 0) {
                heldBack = true;
            }
            else {
                queue.lanes.add(new LaneTurn(new Lane(queue.name, key), room));
            }
        }
        return heldBack;
    }

    private List<String> keys(String sql, String queue, String from, int max) {
        return jdbc.sql(sql).params(queue, from, queue, max).query(String.class).list();
    }

    /** Hands a queue's share out among its lanes one slot at a time, in turn, starting after the last served. */
    private void handOut(QueueTurn queue, List<LaneTurn> asked) {
        if (queue.heads) {
            return;
        }
        int left = Math.min(queue.share, queue.room);
        queue.share = 0;
        int size = queue.lanes.size();
        int start = 0;
        for (int i = 0; i < size && queue.lastServed != null; i++) {
            if (queue.lanes.get(i).lane.key().equals(queue.lastServed)) {
                start = i + 1;
            }
        }
        boolean gave = true;
        while (left > 0 && gave) {
            gave = false;
            for (int i = 0; i < size && left > 0; i++) {
                LaneTurn lane = queue.lanes.get((start + i) % size);
                if (lane.room() > 0) {
                    lane.asked++;
                    left--;
                    gave = true;
                    queue.lastServed = lane.lane.key();
                }
            }
        }
        for (LaneTurn lane : queue.lanes) {
            if (lane.asked > 0) {
                asked.add(lane);
            }
        }
    }

    /** One statement's candidates: the heads walks of the queues that take them, and each lane asked. */
    private Candidates candidates(List<QueueTurn> queues, List<LaneTurn> asked, Instant now) {
        List<String> arms = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        Object at = dialect.instant(now);
        for (QueueTurn queue : queues) {
            if (queue.heads) {
                int share = Math.min(queue.share, queue.room);
                Integer perKey = queue.limits.maxRunningPerKey();
                arms.add(perKey == null ? headsSql : headsWithRoomSql);
                String cursor = queue.cursor == null ? "" : queue.cursor;
                // after the cursor to the last lane ('' is no key: the first), then from the first up to it
                headsWalk(queue, queue.cursor == null ? null : cursor, null, at, perKey, share, params);
                headsWalk(queue, "", queue.cursor == null ? null : cursor, at, perKey, share, params);
                params.add(share);
            }
        }
        for (LaneTurn lane : asked) {
            arms.add(laneSql);
            params.add(lane.lane.queue());
            params.add(lane.lane.key());
            params.add(at);
            params.add(lane.asked);
        }
        return new Candidates(String.join("\nUNION ALL\n", arms), params);
    }

    /**
     * The parameters of one walk of {@link #heads}: from a key (null: this walk is not taken) up
     * to a key (null: no bound).
     */
    private static void headsWalk(QueueTurn queue, @Nullable String from, @Nullable String upTo, Object at,
            @Nullable Integer perKey, int share, List<Object> params) {
        // a walk not taken starts after the greatest key there can be: it finds nothing
        params.addAll(List.of(queue.name, from == null ? MAX_KEY : from, queue.name, MAX_LANES, queue.name, at,
                upTo == null ? MAX_KEY : upTo));
        if (perKey != null) {
            params.add(queue.name);
            params.add(perKey);
        }
        params.add(MAX_LANES);
    }

    /** Greater than any key a job may carry (at most 255 characters), in byte order: U+10FFFF, 256 times. */
    private static final String MAX_KEY = "\uDBFF\uDFFF".repeat(256);

    /**
     * What a statement took: a lane that gave less than asked has nothing more due. A queue that
     * walked its lanes for their heads is done with that: the lanes that gave one may give more
     * in a later pass, in turn.
     */
    private static <R> void took(List<QueueTurn> queues, List<LaneTurn> asked, List<R> got, Function<R, Lane> laneOf,
            Running running) {
        Map<Lane, Integer> counts = new HashMap<>();
        for (R row : got) {
            counts.merge(laneOf.apply(row), 1, Integer::sum);
        }
        // every row counts against its queue's room
        Map<String, Integer> perQueue = new HashMap<>();
        counts.forEach((lane, n) -> perQueue.merge(lane.queue(), n, Integer::sum));
        for (LaneTurn lane : asked) {
            int n = counts.getOrDefault(lane.lane, 0);
            if (n < lane.asked) {
                lane.deep = false;
            }
            lane.room = lane.room == UNLIMITED ? UNLIMITED : lane.room - n;
            lane.asked = 0;
        }
        for (QueueTurn queue : queues) {
            if (queue.heads) {
                queue.heads = false;
                // the last served in the turns: of the lanes from the first up to the cursor if the
                // walk went round, else of those after the cursor
                String lastRound = null;
                String lastAfter = null;
                Integer perKey = queue.limits.maxRunningPerKey();
                for (Map.Entry<Lane, Integer> served : counts.entrySet()) {
                    Lane lane = served.getKey();
                    if (!lane.queue().equals(queue.name)) {
                        continue;
                    }
                    int room = perKey == null ? UNLIMITED : perKey - running.lane(queue.name, lane.key()) - served.getValue();
                    queue.lanes.add(new LaneTurn(lane, Math.max(0, room)));
                    if (queue.cursor != null && compareKeys(lane.key(), queue.cursor) > 0) {
                        lastAfter = lastAfter == null || compareKeys(lane.key(), lastAfter) > 0 ? lane.key() : lastAfter;
                    }
                    else {
                        lastRound = lastRound == null || compareKeys(lane.key(), lastRound) > 0 ? lane.key() : lastRound;
                    }
                }
                // in the order of the turns: those after the cursor first, then from the first
                String cursor = queue.cursor;
                queue.lanes.sort((a, b) -> {
                    boolean aAfter = cursor != null && compareKeys(a.lane.key(), cursor) > 0;
                    boolean bAfter = cursor != null && compareKeys(b.lane.key(), cursor) > 0;
                    return aAfter != bAfter ? (aAfter ? -1 : 1) : compareKeys(a.lane.key(), b.lane.key());
                });
                queue.lastServed = lastRound != null ? lastRound : lastAfter;
            }
            if (queue.room != UNLIMITED) {
                queue.room -= perQueue.getOrDefault(queue.name, 0);
            }
        }
    }

    /**
     * Splits {@code slots} among the queues by weight, slot by slot (smooth weighted round robin:
     * each eligible queue gains its weight, the richest takes the slot and pays the eligible weights'
     * sum), each at most {@code capacity}. The credits carry over to the next claim.
     */
    private void split(int slots, List<QueueTurn> queues, java.util.function.ToIntFunction<QueueTurn> capacity) {
        if (queues.size() == 1) {
            QueueTurn only = queues.getFirst();
            only.share = Math.min(slots, capacity.applyAsInt(only));
            return;
        }
        int[] caps = new int[queues.size()];
        for (int i = 0; i < caps.length; i++) {
            caps[i] = capacity.applyAsInt(queues.get(i));
            queues.get(i).share = 0;
        }
        synchronized (turns) {
            credits.keySet().retainAll(queues.stream().map(queue -> queue.name).toList());
            for (int slot = 0; slot < slots; slot++) {
                long total = 0;
                int richest = -1;
                long best = Long.MIN_VALUE;
                for (int i = 0; i < caps.length; i++) {
                    QueueTurn queue = queues.get(i);
                    if (queue.share >= caps[i]) {
                        continue;
                    }
                    long credit = credits.merge(queue.name, (long) queue.limits.weight(), Long::sum);
                    total += queue.limits.weight();
                    if (credit > best) {
                        best = credit;
                        richest = i;
                    }
                }
                if (richest < 0) {
                    return;
                }
                QueueTurn winner = queues.get(richest);
                credits.merge(winner.name, -total, Long::sum);
                winner.share++;
            }
        }
    }

    /**
     * The running jobs of the limited ones of {@code queues}, counted under their rows' locks (on
     * PostgreSQL, a claim of another node that counts them waits for this one to commit).
     */
    private Running running(List<String> queues, String instance) {
        List<String> limited = queues.stream().filter(name -> config.queue(name).limited()).sorted().toList();
        if (limited.isEmpty()) {
            return Running.NONE;
        }
        if (dialect.shared()) {
            lock(limited);
        }
        Map<String, int[]> perQueue = new HashMap<>();
        Map<Lane, Integer> perLane = new HashMap<>();
        List<Object> params = new ArrayList<>(limited.size() + 1);
        params.add(instance);
        params.addAll(limited);
        jdbc.sql(runningSql(limited.size()))
            .params(params)
            .query(rs -> {
                String queue = rs.getString(1);
                int count = rs.getInt(3);
                int[] totals = perQueue.computeIfAbsent(queue, q -> new int[2]);
                totals[0] += count;
                totals[1] += rs.getInt(4);
                perLane.put(new Lane(queue, rs.getString(2)), count);
            });
        return new Running(perQueue, perLane);
    }

    /** The running jobs of {@code queues} queues per lane, and of those on one instance: from the index {@code jobs_running} alone. */
    static String runningSql(int queues) {
        return """
                SELECT queue, concurrency_key, COUNT(*), SUM(CASE WHEN instance = ? THEN 1 ELSE 0 END)
                FROM jobs WHERE state = 'RUNNING' AND queue IN (%s)
                GROUP BY queue, concurrency_key""".formatted(JdbcJobStore.marks(queues));
    }

    /** The statements a claim reads with, for the query-plan test: the queues, a queue's lanes, a lane's head. */
    List<String> statements() {
        return List.of(queuesAfterSql, lanesAfterSql, laneSql, headsWithRoomSql);
    }

    /**
     * Locks the rows of {@code queues} (sorted). The first claim of a process makes the missing
     * ones first, before it locks any: a row made while others are held would be locked out of order.
     */
    private void lock(List<String> queues) {
        if (!rowsMade.containsAll(queues)) {
            for (String queue : queues) {
                jdbc.sql("INSERT INTO queues (name) VALUES (?) ON CONFLICT DO NOTHING").param(queue).update();
            }
        }
        String sql = "SELECT name FROM queues WHERE name IN (:queues) ORDER BY name" + dialect.forUpdate();
        List<String> locked = jdbc.sql(sql).param("queues", queues).query(String.class).list();
        if (locked.size() == queues.size()) {
            rowsMade.addAll(queues);
            return;
        }
        // made by a claim that rolled back: made again, and locked
        rowsMade.removeAll(queues);
        for (String queue : queues) {
            if (!locked.contains(queue)) {
                jdbc.sql("INSERT INTO queues (name) VALUES (?) ON CONFLICT DO NOTHING").param(queue).update();
            }
        }
        jdbc.sql(sql).param("queues", queues).query(String.class).list();
    }

    /** Running jobs of limited queues: per queue (all nodes, this node), and per lane. */
    private record Running(Map<String, int[]> perQueue, Map<Lane, Integer> perLane) {

        static final Running NONE = new Running(Map.of(), Map.of());

        int total(String queue) {
            int[] totals = perQueue.get(queue);
            return totals == null ? 0 : totals[0];
        }

        int onNode(String queue) {
            int[] totals = perQueue.get(queue);
            return totals == null ? 0 : totals[1];
        }

        int lane(String queue, String key) {
            return perLane.getOrDefault(new Lane(queue, key), 0);
        }

        int lanesAtLimit(String queue, int perKey) {
            int n = 0;
            for (Map.Entry<Lane, Integer> lane : perLane.entrySet()) {
                if (lane.getKey().queue().equals(queue) && lane.getValue() >= perKey) {
                    n++;
                }
            }
            return n;
        }
    }
}
