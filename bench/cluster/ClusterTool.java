// Client side of bench/cluster/run.sh: watches drains, measures enqueue->start latency, submits
// batches. JDK only plus the PostgreSQL JDBC driver; no JSON library (the few fields read are
// picked out of the job JSON with a regular expression).
//
//   ClusterTool drain   --url JDBC --expect N --mgmt 19181,19191 --pids 123,456 [--report FILE]
//   ClusterTool latency --ports 19180,19190 --n 1000 --rate 100 [--report FILE]
//   ClusterTool batch   --port 19180 --total 100000 --size 1000 --threads 2
//
// Each prints one line of key=value pairs (the script parses it); details go to --report.
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class ClusterTool {

    static final HttpClient HTTP = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        if (args.length == 0) {
            throw new IllegalArgumentException("drain | latency | batch");
        }
        Map<String, String> opt = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "drain" -> drain(opt);
            case "latency" -> latency(opt);
            case "batch" -> batch(opt);
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    // --- drain ------------------------------------------------------------------------------

    /**
     * Waits for every instance's readiness, then polls every 100 ms until no job is QUEUED or
     * RUNNING (cheap: both are partial-index lookups, where a count(*) of SUCCEEDED rows would be a
     * scan of the whole table ten times a second on a 2-core machine), confirms that all expected
     * jobs are SUCCEEDED, and reads the drain's shape back from the rows' own timestamps.
     * Meanwhile it samples pg_stat_activity every 200 ms and the CPU split from /proc.
     */
    static void drain(Map<String, String> opt) throws Exception {
        String url = require(opt, "url");
        long expect = Long.parseLong(require(opt, "expect"));
        List<Integer> mgmt = Arrays.stream(require(opt, "mgmt").split(",")).map(Integer::parseInt).toList();
        List<Long> pids = Arrays.stream(require(opt, "pids").split(",")).map(Long::parseLong).toList();
        Path report = opt.containsKey("report") ? Path.of(opt.get("report")) : null;
        long t0 = System.nanoTime();
        Instant launched = Instant.now();
        long timeoutNanos = Duration.ofSeconds(Long.parseLong(opt.getOrDefault("timeout", "180"))).toNanos();

        // readiness of every instance
        Map<Integer, Long> readyAt = new TreeMap<>();
        while (readyAt.size() < mgmt.size()) {
            for (int port : mgmt) {
                if (!readyAt.containsKey(port) && ready(port)) {
                    readyAt.put(port, System.nanoTime());
                }
            }
            if (System.nanoTime() - t0 > timeoutNanos) {
                throw new IllegalStateException("instances not ready after the timeout: ready " + readyAt.keySet());
            }
            for (long pid : pids) {
                if (!Files.exists(Path.of("/proc/" + pid))) {
                    throw new IllegalStateException("instance process " + pid + " ended before it was ready");
                }
            }
            Thread.sleep(20);
        }
        long firstReady = Collections.min(readyAt.values());
        long allReady = Collections.max(readyAt.values());
        Instant allReadyWall = launched.plusNanos(allReady - t0);
        Instant firstReadyWall = launched.plusNanos(firstReady - t0);

        long statements = 0;
        Map<String, Integer> activity = new HashMap<>();
        int activitySamples = 0;
        int activeBackendsTotal = 0;
        long doneAt;
        Cpu cpuStart;
        Cpu cpuEnd;
        long succeededAtReady;
        try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
            c.setAutoCommit(true);
            succeededAtReady = count(c, "SELECT count(*) FROM jobs WHERE state = 'SUCCEEDED'");
            statements++;
            cpuStart = Cpu.read(pids);
            long cpuStartNanos = System.nanoTime();
            try (PreparedStatement pending = c.prepareStatement("""
                    SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'QUEUED')
                        OR EXISTS (SELECT 1 FROM jobs WHERE state = 'RUNNING')""");
                    PreparedStatement sample = c.prepareStatement("""
                            SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu'), left(query, 200)
                            FROM pg_stat_activity
                            WHERE datname = current_database() AND pid <> pg_backend_pid()
                              AND backend_type = 'client backend'""")) {
                long nextSample = System.nanoTime();
                while (true) {
                    boolean more;
                    try (ResultSet rs = pending.executeQuery()) {
                        rs.next();
                        more = rs.getBoolean(1);
                    }
                    statements++;
                    if (!more) {
                        doneAt = System.nanoTime();
                        break;
                    }
                    if (System.nanoTime() - t0 > timeoutNanos) {
                        throw new IllegalStateException("drain not finished after the timeout");
                    }
                    if (System.nanoTime() >= nextSample) {
                        nextSample += 200_000_000L;
                        activitySamples++;
                        try (ResultSet rs = sample.executeQuery()) {
                            while (rs.next()) {
                                String state = rs.getString(1);
                                String key;
                                if ("active".equals(state)) {
                                    activeBackendsTotal++;
                                    key = "active  " + rs.getString(2) + "  " + classify(rs.getString(3));
                                }
                                else {
                                    key = state + "  " + ("idle".equals(state) ? "" : classify(rs.getString(3)));
                                }
                                activity.merge(key, 1, Integer::sum);
                            }
                        }
                        statements++;
                    }
                    Thread.sleep(100);
                }
            }
            cpuEnd = Cpu.read(pids);
            double cpuSeconds = (System.nanoTime() - cpuStartNanos) / 1e9;

            long succeeded = count(c, "SELECT count(*) FROM jobs WHERE state = 'SUCCEEDED'");
            statements++;
            Map<String, Long> states = new TreeMap<>();
            Map<String, Long> nodes = new TreeMap<>();
            Instant firstStart;
            Instant lastFinish;
            long reruns;
            long finishedAfterReady;
            long finishedAfterFirstReady;
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT state, count(*) FROM jobs GROUP BY state")) {
                    while (rs.next()) {
                        states.put(rs.getString(1), rs.getLong(2));
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT coalesce(node, '-'), count(*) FROM jobs GROUP BY 1")) {
                    while (rs.next()) {
                        nodes.put(rs.getString(1), rs.getLong(2));
                    }
                }
                try (ResultSet rs = s.executeQuery(
                        "SELECT min(started_at), max(finished_at), count(*) FILTER (WHERE attempt > 1) FROM jobs")) {
                    rs.next();
                    firstStart = rs.getTimestamp(1).toInstant();
                    lastFinish = rs.getTimestamp(2).toInstant();
                    reruns = rs.getLong(3);
                }
                statements += 4;
            }
            try (PreparedStatement p = c.prepareStatement("SELECT count(*) FROM jobs WHERE finished_at >= ?")) {
                p.setTimestamp(1, Timestamp.from(allReadyWall));
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    finishedAfterReady = rs.getLong(1);
                }
                p.setTimestamp(1, Timestamp.from(firstReadyWall));
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    finishedAfterFirstReady = rs.getLong(1);
                }
                statements += 2;
            }
            // every claim stamps its jobs with one startedAt per node: the claim sizes, post hoc
            String claims;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    WITH c AS (SELECT node, started_at, count(*) AS n FROM jobs GROUP BY node, started_at)
                    SELECT count(*), avg(n), percentile_disc(0.1) WITHIN GROUP (ORDER BY n),
                           percentile_disc(0.5) WITHIN GROUP (ORDER BY n), percentile_disc(0.9) WITHIN GROUP (ORDER BY n)
                    FROM c""")) {
                rs.next();
                claims = "claims=" + rs.getLong(1) + " claim_avg=" + fmt(rs.getDouble(2), 1) + " claim_p10=" + rs.getLong(3)
                        + " claim_p50=" + rs.getLong(4) + " claim_p90=" + rs.getLong(5);
                statements++;
            }
            Map<Long, Long> perSecond = new TreeMap<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT floor(extract(epoch FROM finished_at - (SELECT min(started_at) FROM jobs)))::bigint AS sec,
                           count(*) FROM jobs WHERE finished_at IS NOT NULL GROUP BY 1 ORDER BY 1""")) {
                while (rs.next()) {
                    perSecond.put(rs.getLong(1), rs.getLong(2));
                }
                statements++;
            }

            double fromReady = (doneAt - allReady) / 1e9;
            double window = Duration.between(firstStart, lastFinish).toNanos() / 1e9;
            double steadyWindow = Duration.between(allReadyWall, lastFinish).toNanos() / 1e9;
            double ticks = Cpu.ticksPerSecond() * cpuSeconds;
            Map<String, String> out = new LinkedHashMap<>();
            out.put("expected", String.valueOf(expect));
            out.put("succeeded", String.valueOf(succeeded));
            out.put("ok", String.valueOf(succeeded == expect));
            out.put("first_ready_s", fmt((firstReady - t0) / 1e9, 2));
            out.put("all_ready_s", fmt((allReady - t0) / 1e9, 2));
            out.put("succeeded_at_ready", String.valueOf(succeededAtReady));
            out.put("done_after_ready_s", fmt(fromReady, 2));
            // the brief's figure: all expected jobs / time from readiness to done
            out.put("rate_from_ready", fmt(expect / fromReady, 0));
            // jobs finished after all instances were ready / that time (the jobs done before
            // readiness are not counted: the pool starts before the web server)
            out.put("rate_steady", fmt(finishedAfterReady / steadyWindow, 0));
            out.put("finished_after_ready", String.valueOf(finishedAfterReady));
            out.put("finished_after_first_ready", String.valueOf(finishedAfterFirstReady));
            // all jobs / (last finishedAt - first startedAt): the whole drain by the rows' clocks
            out.put("rate_window", fmt(succeeded / window, 0));
            out.put("window_s", fmt(window, 2));
            out.put("reruns", String.valueOf(reruns));
            out.put("tool_statements", String.valueOf(statements));
            out.put("cpu_busy_pct", fmt(100.0 * (cpuEnd.busy - cpuStart.busy) / ticks, 0));
            out.put("cpu_spindle_pct", fmt(100.0 * (cpuEnd.jvm - cpuStart.jvm) / ticks, 0));
            out.put("cpu_postgres_pct", fmt(100.0 * Cpu.delta(cpuStart.postgres, cpuEnd.postgres) / ticks, 0));
            long other = (cpuEnd.busy - cpuStart.busy) - (cpuEnd.jvm - cpuStart.jvm)
                    - Cpu.delta(cpuStart.postgres, cpuEnd.postgres) - (cpuEnd.self - cpuStart.self);
            out.put("cpu_other_pct", fmt(Math.max(0, 100.0 * other / ticks), 0));
            out.put("cpu_cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
            for (String kv : claims.split(" ")) {
                out.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
            out.put("avg_active_backends", fmt(activitySamples == 0 ? 0 : (double) activeBackendsTotal / activitySamples, 1));
            System.out.println(line(out));

            if (report != null) {
                StringBuilder r = new StringBuilder();
                r.append("states: ").append(states).append('\n');
                r.append("jobs per node: ").append(nodes).append('\n');
                r.append("readiness (s after launch): ");
                readyAt.forEach((port, at) -> r.append(port).append('=').append(fmt((at - t0) / 1e9, 2)).append(' '));
                r.append('\n');
                r.append("jobs finished per second of the drain (from the first startedAt): ");
                perSecond.forEach((sec, n) -> r.append(sec).append(':').append(n).append(' '));
                r.append('\n');
                r.append("pg_stat_activity, ").append(activitySamples)
                    .append(" samples every 200 ms (this database's client backends; count = backend-samples):\n");
                activity.entrySet().stream()
                    .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                    .limit(14)
                    .forEach(e -> r.append(String.format("  %6d  %s%n", e.getValue(), e.getKey())));
                Files.writeString(report, r.toString());
            }
        }
    }

    /** A recognisable name for a statement, from its text. */
    static String classify(String query) {
        String q = query == null ? "" : query.replaceAll("\\s+", " ").trim();
        if (q.startsWith("UPDATE jobs SET state = 'RUNNING'")) {
            return "claim UPDATE ... SKIP LOCKED RETURNING";
        }
        if (q.startsWith("UPDATE jobs SET state = $1, result")) {
            return "complete UPDATE (batch)";
        }
        if (q.startsWith("UPDATE jobs SET lease_until")) {
            return "heartbeat lease UPDATE";
        }
        if (q.startsWith("SELECT MIN(run_at)")) {
            return "nextRunAt SELECT";
        }
        if (q.startsWith("INSERT INTO jobs")) {
            return "insert jobs";
        }
        if (q.isEmpty()) {
            return "-";
        }
        return q.length() > 60 ? q.substring(0, 60) + "..." : q;
    }

    static boolean ready(int port) {
        try {
            HttpResponse<Void> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                        .timeout(Duration.ofSeconds(1))
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        }
        catch (IOException ex) {
            return false;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * CPU ticks: the machine's busy total, the given JVMs', every postgres process's (with the
     * reaped children's times, so that backends that ended are still counted in the postmaster),
     * and this tool's own.
     */
    record Cpu(long busy, long jvm, Map<Long, Long> postgres, long self) {

        static long ticksPerSecond() {
            return 100; // USER_HZ on Linux
        }

        static Cpu read(List<Long> pids) throws IOException {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            // user + nice + system: what processes' utime + stime add up to (irq and softirq time,
            // much of it loopback traffic, belongs to no process)
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
            long jvm = 0;
            for (long pid : pids) {
                jvm += ticks(pid);
            }
            Map<Long, Long> pg = new HashMap<>();
            try (var dirs = Files.list(Path.of("/proc"))) {
                for (Path dir : dirs.toList()) {
                    String name = dir.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        String comm = Files.readString(dir.resolve("comm")).trim();
                        if (comm.startsWith("postgres")) {
                            pg.put(Long.parseLong(name), ticksWithChildren(Long.parseLong(name)));
                        }
                    }
                    catch (IOException gone) {
                        // the process ended meanwhile
                    }
                }
            }
            return new Cpu(busy, jvm, pg, ticks(ProcessHandle.current().pid()));
        }

        static long ticksWithChildren(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
            catch (IOException | RuntimeException ex) {
                return 0;
            }
        }

        static long ticks(long pid) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            }
            catch (IOException | RuntimeException ex) {
                return 0;
            }
        }

        static long delta(Map<Long, Long> before, Map<Long, Long> after) {
            long sum = 0;
            for (var e : after.entrySet()) {
                sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
            return sum;
        }
    }

    // --- latency ----------------------------------------------------------------------------

    static final Pattern FIELD = Pattern.compile("\"(id|state|runAt|createdAt|startedAt|finishedAt|node)\":\"([^\"]*)\"");

    static Map<String, String> fields(String json) {
        Map<String, String> m = new HashMap<>();
        Matcher matcher = FIELD.matcher(json);
        while (matcher.find()) {
            m.putIfAbsent(matcher.group(1), matcher.group(2));
        }
        return m;
    }

    /**
     * Submits n noop jobs one at a time on a fixed schedule (rate per second) round-robin to the
     * given REST ports, then reads every job back and takes startedAt - createdAt.
     */
    static void latency(Map<String, String> opt) throws Exception {
        List<Integer> ports = Arrays.stream(require(opt, "ports").split(",")).map(Integer::parseInt).toList();
        int n = Integer.parseInt(opt.getOrDefault("n", "1000"));
        double rate = Double.parseDouble(opt.getOrDefault("rate", "100"));
        Path report = opt.containsKey("report") ? Path.of(opt.get("report")) : null;
        List<String> nodeIds = Arrays.asList(opt.getOrDefault("nodes", "").split(","));
        String body = "{\"type\":\"noop\"}";
        List<String> ids = new ArrayList<>(n);
        List<Integer> submittedTo = new ArrayList<>(n);
        long[] submitNanos = new long[n];
        int errors = 0;
        // warm-up: a few jobs per instance, not measured (first request on a fresh connection)
        for (int port : ports) {
            for (int i = 0; i < 5; i++) {
                post(port, "/api/v1/jobs", body);
            }
        }
        Thread.sleep(500);
        // each request leaves at its own due time (asynchronously): a slow response does not
        // delay the next submission, so the offered rate is the one asked for
        long interval = (long) (1e9 / rate);
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            int port = ports.get(i % ports.size());
            long t = System.nanoTime();
            int index = i;
            responses.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, ex) -> submitNanos[index] = System.nanoTime() - t));
            submittedTo.add(port);
        }
        double submitSeconds = (System.nanoTime() - start) / 1e9;
        List<Integer> acceptedPorts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            HttpResponse<String> response = responses.get(i).get();
            if (response.statusCode() != 202) {
                errors++;
                continue;
            }
            ids.add(fields(response.body()).get("id"));
            acceptedPorts.add(submittedTo.get(i));
        }
        submittedTo = acceptedPorts;
        List<Double> startMs = new ArrayList<>();
        int crossNode = 0;
        int notStarted = 0;
        int runAtDiffers = 0;
        Map<String, Integer> byNode = new TreeMap<>();
        for (int i = 0; i < ids.size(); i++) {
            int port = ports.get((i + 1) % ports.size()); // read back through the other instance
            HttpResponse<String> response = HTTP.send(HttpRequest
                .newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/jobs/" + ids.get(i) + "?wait=PT10S"))
                .GET()
                .build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> job = fields(response.body());
            if (job.get("startedAt") == null) {
                notStarted++;
                continue;
            }
            Instant created = Instant.parse(job.get("createdAt"));
            Instant started = Instant.parse(job.get("startedAt"));
            if (!job.get("runAt").equals(job.get("createdAt"))) {
                runAtDiffers++;
            }
            startMs.add(Duration.between(created, started).toNanos() / 1e6);
            String node = job.getOrDefault("node", "?");
            byNode.merge(node, 1, Integer::sum);
            int submittedIndex = ports.indexOf(submittedTo.get(i));
            if (submittedIndex < nodeIds.size() && !node.equals(nodeIds.get(submittedIndex))) {
                crossNode++;
            }
        }
        Collections.sort(startMs);
        double[] submit = Arrays.stream(submitNanos).mapToDouble(x -> x / 1e6).sorted().toArray();
        Map<String, String> out = new LinkedHashMap<>();
        out.put("jobs", String.valueOf(startMs.size()));
        out.put("errors", String.valueOf(errors));
        out.put("not_started", String.valueOf(notStarted));
        out.put("offered_rate", fmt(n / submitSeconds, 1));
        out.put("p50_ms", fmt(pct(startMs, 50), 1));
        out.put("p90_ms", fmt(pct(startMs, 90), 1));
        out.put("p99_ms", fmt(pct(startMs, 99), 1));
        out.put("max_ms", fmt(startMs.isEmpty() ? Double.NaN : startMs.getLast(), 1));
        out.put("mean_ms", fmt(startMs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN), 1));
        out.put("submit_p50_ms", fmt(submit[submit.length / 2], 1));
        out.put("submit_p99_ms", fmt(submit[(int) Math.min(submit.length - 1, Math.ceil(submit.length * 0.99) - 1)], 1));
        out.put("run_at_differs", String.valueOf(runAtDiffers));
        out.put("cross_node", String.valueOf(crossNode));
        System.out.println(line(out));
        if (report != null) {
            StringBuilder r = new StringBuilder();
            r.append("jobs run per node: ").append(byNode).append('\n');
            r.append("startedAt - createdAt histogram (ms): ");
            int[] edges = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000 };
            int from = 0;
            for (int edge : edges) {
                int k = 0;
                for (double v : startMs) {
                    if (v >= from && v < edge) {
                        k++;
                    }
                }
                r.append('[').append(from).append(',').append(edge).append("):").append(k).append(' ');
                from = edge;
            }
            int k = 0;
            for (double v : startMs) {
                if (v >= from) {
                    k++;
                }
            }
            r.append(">=").append(from).append(':').append(k).append('\n');
            Files.writeString(report, r.toString());
        }
    }

    static HttpResponse<String> post(int port, String path, String body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(), HttpResponse.BodyHandlers.ofString());
    }

    static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    // --- batch ------------------------------------------------------------------------------

    /** total jobs in batches of size, from threads client threads, delayed far ahead so none runs. */
    static void batch(Map<String, String> opt) throws Exception {
        int port = Integer.parseInt(require(opt, "port"));
        int total = Integer.parseInt(opt.getOrDefault("total", "100000"));
        int size = Integer.parseInt(opt.getOrDefault("size", "1000"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "2"));
        StringBuilder b = new StringBuilder("{\"jobs\":[");
        for (int i = 0; i < size; i++) {
            b.append(i == 0 ? "" : ",").append("{\"type\":\"noop\",\"delay\":\"P300D\"}");
        }
        String body = b.append("]}").toString();
        int batches = total / size;
        // warm-up: one batch, not counted
        HttpResponse<String> warm = post(port, "/api/v1/jobs/batch", body);
        if (warm.statusCode() != 202) {
            throw new IllegalStateException("warm-up batch got " + warm.statusCode() + ": " + warm.body());
        }
        AtomicLong next = new AtomicLong();
        AtomicLong accepted = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    while (next.getAndIncrement() < batches) {
                        long t1 = System.nanoTime();
                        HttpResponse<String> response = post(port, "/api/v1/jobs/batch", body);
                        latencies.add(System.nanoTime() - t1);
                        if (response.statusCode() == 202) {
                            accepted.addAndGet(size);
                        }
                        else {
                            failed.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Double> ms = latencies.stream().map(x -> x / 1e6).sorted().toList();
        Map<String, String> out = new LinkedHashMap<>();
        out.put("accepted", String.valueOf(accepted.get()));
        out.put("failed_batches", String.valueOf(failed.get()));
        out.put("seconds", fmt(seconds, 2));
        out.put("rows_per_s", fmt(accepted.get() / seconds, 0));
        out.put("batch_p50_ms", fmt(pct(ms, 50), 0));
        out.put("batch_max_ms", fmt(ms.getLast(), 0));
        out.put("warmup_rows", String.valueOf(size));
        System.out.println(line(out));
    }

    // --- helpers ----------------------------------------------------------------------------

    static String fmt(double v, int decimals) {
        return String.format("%." + decimals + "f", v);
    }

    static String line(Map<String, String> out) {
        StringBuilder sb = new StringBuilder();
        out.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return sb.toString();
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            opt.put(args[i].substring(2), i + 1 < args.length ? args[++i] : "");
        }
        return opt;
    }

    static String require(Map<String, String> opt, String key) {
        String value = opt.get(key);
        if (value == null) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return value;
    }
}
