package dev.spindle.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.spindle.config.QueueProperties;
import dev.spindle.config.QueueProperties.Queue;
import org.jspecify.annotations.Nullable;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The claim step with queues, limits and fair turns. A job's lane is its queue and concurrency
 * key; the ready jobs of every lane are in dispatch order on the index {@code jobs_ready (queue,
 * concurrency_key, priority DESC, run_at, id)}. A claim:
 * <ol>
 * <li>finds the queues with queued jobs, skipping from one to the next on that index (one probe
 * per queue), and leaves out the paused ones;</li>
 * <li>for the queues with limits, locks their rows in {@code queues} (PostgreSQL: one node at a
 * time counts and claims a limited queue's jobs) and counts their running jobs per lane and node
 * on the index {@code jobs_running};</li>
 * <li>splits its slots among the queues by weight (smooth weighted round robin, kept between
 * claims, so a queue of weight 1 gets its turn even in claims of one slot), each at most what its
 * limits leave;</li>
 * <li>splits a queue's share among its lanes in turn, starting after the lane the last claim
 * ended with (one probe per lane, at most {@link #MAX_LANES}), each at most what the per-key limit
 * leaves;</li>
 * <li>claims each lane's share from the head of the lane in one statement; what a lane could not
 * give goes to the lanes that gave all they were asked, for up to {@link #PASSES} statements.</li>
 * </ol>
 * One queue and no keys (the plain case) costs two probes and one read more than a plain claim.
 * Priority orders the jobs of a lane; between lanes, turns do.
 */
final class LaneClaims implements ClaimStep {

    /** Most lanes of one queue a claim visits: the turn goes on from where it stopped. */
    static final int MAX_LANES = 256;

    /**
     * Most queues a claim looks at: queues are few, but a job may name any queue; beyond this many,
     * each claim goes on from where the last one stopped, as with lanes.
     */
    static final int MAX_QUEUES = 256;

    static final int PASSES = 3;

    /**
     * From how many lanes asked for one job each a queue's part of a claim is one walk of its lanes
     * taking the head of each (one short statement, the same text every time) rather than a
     * subquery per lane (measured on SQLite: a claim of 64 lanes of one job each cost three times
     * a plain claim of 64, a third of it parsing the statement).
     */
    static final int HEADS_FROM = 4;

    private static final int UNLIMITED = Integer.MAX_VALUE;

    private final JdbcClient jdbc;

    private final Dialect dialect;

    private final QueueProperties config;

    private final String queuesFromStartSql;

    private final String queuesAfterSql;

    private final String lanesFromStartSql;

    private final String lanesAfterSql;

    private final String laneSql;

    private final String headsFromStartSql;

    private final String headsAfterSql;

    private final String headsFromStartWithRoomSql;

    private final String headsAfterWithRoomSql;

    /** Guards the turns kept between claims (a node's dispatcher and completion writer may claim at once). */
    private final Object turns = new Object();

    /** Per queue, the lane the last claim gave its last slot to: the next one starts after it. */
    private final Map<String, String> cursors = new HashMap<>();

    /** The queue the last claim's look at the queues ended with, when there were more than it looks at. */
    private @Nullable String queueCursor;

    /** Per queue, its credit in the weighted round robin. */
    private final Map<String, Long> credits = new HashMap<>();

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
        this.headsFromStartSql = headsSql(source, ">=", false);
        this.headsAfterSql = headsSql(source, ">", false);
        this.headsFromStartWithRoomSql = headsSql(source, ">=", true);
        this.headsAfterWithRoomSql = headsSql(source, ">", true);
    }

    /**
     * The head (next job in dispatch order) of each of a queue's next lanes from a key on, for as
     * many lanes as asked; with {@code room}, only of the lanes whose running jobs are fewer than a
     * per-key limit. A lane with no due job gives NULL, which {@code id IN (...)} ignores.
     */
    private String headsSql(String source, String from, boolean room) {
        // as a subquery of its own: a claim may join two of them (and lanes) with UNION ALL
        return """
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
                FROM found WHERE found.k IS NOT NULL%4$s) heads""".formatted(source, from, dialect.skipLocked(),
                room ? " AND (SELECT COUNT(*) FROM jobs WHERE state = 'RUNNING' AND queue = ? AND concurrency_key = found.k) < ?"
                        : "");
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

    /** A queue's part in one claim. */
    private static final class QueueTurn {

        final String name;

        final Queue limits;

        /** Slots its queue-wide and per-node limits still leave. */
        int room;

        int share;

        /** Its lanes in the order of their turns: those after {@link #cursor} first, then from the first. */
        final List<LaneTurn> lanes = new ArrayList<>();

        /** Where its lanes were looked for from (null: from the first), and how many were found after it. */
        @Nullable String cursor;

        int afterCursor;

        /** Whether this statement asks one job of each of a run of its lanes: then it walks them (heads). */
        boolean heads;

        QueueTurn(String name, Queue limits, int room) {
            this.name = name;
            this.limits = limits;
            this.room = room;
        }

        /** What its lanes could still take in this claim. */
        int capacity() {
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
        split(max, queues, turn -> turn.room);
        for (QueueTurn queue : queues) {
            if (queue.share > 0) {
                heldBack |= findLanes(queue, running);
            }
        }
        List<R> rows = new ArrayList<>();
        for (int pass = 0; pass < PASSES && rows.size() < max; pass++) {
            if (pass > 0) {
                split(max - rows.size(), queues, QueueTurn::capacity);
            }
            List<LaneTurn> asked = new ArrayList<>();
            for (QueueTurn queue : queues) {
                handOut(queue, pass == 0, asked);
            }
            if (asked.isEmpty()) {
                break;
            }
            List<R> got = take.apply(candidates(queues, asked, now));
            rows.addAll(got);
            took(queues, asked, got, laneOf);
        }
        boolean deep = false;
        for (QueueTurn queue : queues) {
            for (LaneTurn lane : queue.lanes) {
                deep |= lane.deep;
            }
        }
        return new Taken<>(rows, heldBack || rows.size() == max || deep);
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
     * Finds up to its share of a queue's lanes (more where the per-key limit holds some back),
     * starting after the lane the last claim ended with and going round to the first.
     *
     * @return whether the per-key limit held back a lane with queued jobs
     */
    private boolean findLanes(QueueTurn queue, Running running) {
        Integer perKey = queue.limits.maxRunningPerKey();
        int wanted = Math.min(MAX_LANES, queue.share + (perKey == null ? 0 : running.lanesAtLimit(queue.name, perKey)));
        String cursor;
        synchronized (turns) {
            cursor = cursors.get(queue.name);
        }
        List<String> keys = new ArrayList<>(cursor == null ? List.of() : keys(lanesAfterSql, queue.name, cursor, wanted));
        queue.cursor = cursor;
        queue.afterCursor = keys.size();
        if (keys.size() < wanted) {
            for (String key : keys(lanesFromStartSql, queue.name, "", wanted - keys.size())) {
                if (keys.contains(key)) {
                    break;
                }
                keys.add(key);
            }
        }
        boolean heldBack = false;
        for (String key : keys) {
            int room = perKey == null ? UNLIMITED : perKey - running.lane(queue.name, key);
            if (room <= 0) {
                heldBack = true;
            }
            // a lane at its limit keeps its place in the turns (a walk of the lanes passes it), with no room
            queue.lanes.add(new LaneTurn(new Lane(queue.name, key), Math.max(0, room)));
        }
        return heldBack;
    }

    private List<String> keys(String sql, String queue, String from, int max) {
        return jdbc.sql(sql).params(queue, from, queue, max).query(String.class).list();
    }

    /**
     * Hands a queue's share out among its lanes one slot at a time, in turn; on the first pass the
     * lane given the last slot is where the next claim starts after.
     */
    private void handOut(QueueTurn queue, boolean first, List<LaneTurn> asked) {
        int left = Math.min(queue.share, queue.room);
        queue.share = 0;
        LaneTurn last = null;
        boolean gave = true;
        while (left > 0 && gave) {
            gave = false;
            for (LaneTurn lane : queue.lanes) {
                if (left == 0) {
                    break;
                }
                if (lane.room() > 0) {
                    lane.asked++;
                    left--;
                    gave = true;
                    last = lane;
                }
            }
        }
        int one = 0;
        boolean single = true;
        for (LaneTurn lane : queue.lanes) {
            if (lane.asked > 0) {
                asked.add(lane);
                one++;
                single &= lane.asked == 1;
            }
        }
        queue.heads = first && single && one >= HEADS_FROM;
        if (first && last != null) {
            synchronized (turns) {
                cursors.put(queue.name, last.lane.key());
            }
        }
    }

    /** One statement's candidates: as many jobs from the head of every lane asked as it was asked. */
    private Candidates candidates(List<QueueTurn> queues, List<LaneTurn> asked, Instant now) {
        List<String> arms = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        Object at = dialect.instant(now);
        for (QueueTurn queue : queues) {
            if (queue.heads) {
                heads(queue, at, arms, params);
            }
        }
        for (LaneTurn lane : asked) {
            QueueTurn queue = queueOf(queues, lane.lane.queue());
            if (!queue.heads) {
                arms.add(laneSql);
                params.add(lane.lane.queue());
                params.add(lane.lane.key());
                params.add(at);
                params.add(lane.asked);
            }
        }
        return new Candidates(String.join("\nUNION ALL\n", arms), params);
    }

    private static QueueTurn queueOf(List<QueueTurn> queues, String name) {
        for (QueueTurn queue : queues) {
            if (queue.name.equals(name)) {
                return queue;
            }
        }
        throw new IllegalStateException("No turn of queue " + name);
    }

    /**
     * A queue's heads: a walk of its lanes after the cursor up to the last one asked, and (when the
     * turns went round) one from the first lane; the lanes at their limit in between are passed by.
     */
    private void heads(QueueTurn queue, Object at, List<String> arms, List<Object> params) {
        int lastAfter = -1;
        int lastFromStart = -1;
        for (int i = 0; i < queue.lanes.size(); i++) {
            if (queue.lanes.get(i).asked > 0) {
                if (i < queue.afterCursor) {
                    lastAfter = i;
                }
                else {
                    lastFromStart = i - queue.afterCursor;
                }
            }
        }
        Integer perKey = queue.limits.maxRunningPerKey();
        if (lastAfter >= 0) {
            arms.add(perKey == null ? headsAfterSql : headsAfterWithRoomSql);
            headParams(queue, String.valueOf(queue.cursor), lastAfter + 1, at, perKey, params);
        }
        if (lastFromStart >= 0) {
            arms.add(perKey == null ? headsFromStartSql : headsFromStartWithRoomSql);
            headParams(queue, "", lastFromStart + 1, at, perKey, params);
        }
    }

    private static void headParams(QueueTurn queue, String from, int lanes, Object at, @Nullable Integer perKey,
            List<Object> params) {
        params.addAll(List.of(queue.name, from, queue.name, lanes, queue.name, at));
        if (perKey != null) {
            params.add(queue.name);
            params.add(perKey);
        }
    }

    /** What a statement took: a lane that gave less than asked has nothing more due. */
    private static <R> void took(List<QueueTurn> queues, List<LaneTurn> asked, List<R> got, Function<R, Lane> laneOf) {
        Map<Lane, Integer> counts = new HashMap<>();
        for (R row : got) {
            counts.merge(laneOf.apply(row), 1, Integer::sum);
        }
        Map<String, Integer> perQueue = new HashMap<>();
        for (LaneTurn lane : asked) {
            int n = counts.getOrDefault(lane.lane, 0);
            if (n < lane.asked) {
                lane.deep = false;
            }
            lane.room = lane.room == UNLIMITED ? UNLIMITED : lane.room - n;
            lane.asked = 0;
            perQueue.merge(lane.lane.queue(), n, Integer::sum);
        }
        for (QueueTurn queue : queues) {
            queue.heads = false;
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
        return List.of(queuesAfterSql, lanesAfterSql, laneSql, headsAfterWithRoomSql);
    }

    /** Locks the rows of {@code queues} (sorted), making the missing ones first. */
    private void lock(List<String> queues) {
        String sql = "SELECT name FROM queues WHERE name IN (:queues) ORDER BY name" + dialect.forUpdate();
        List<String> locked = jdbc.sql(sql).param("queues", queues).query(String.class).list();
        if (locked.size() == queues.size()) {
            return;
        }
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
