// Issue 4, benchmark 2: throughput of http jobs against a stub downstream (bench/downstream/run.sh).
//
// Compiled together with bench/SpindleBench.java, whose HTTP helpers, JSON reader and batch
// submitter it uses:
//
//   javac -d classes bench/SpindleBench.java bench/downstream/DownstreamBench.java
//   java -cp classes DownstreamBench --base http://127.0.0.1:18180 --stub http://127.0.0.1:18090 \
//        --jobs 30000 --pids spindle=<pid>,stub=<pid> [--pg-db <database>]
//
// 1. Warm-up (not measured): --warmup http jobs that run at once, then waits until none is left.
// 2. Submits --jobs http jobs in batches of --batch, all with the same runAt, far enough ahead that
//    the submission is over before it (checked), and zeroes the stub's counters.
// 3. From runAt on, every 200 ms: the stub's in-flight count, and CPU time and run-queue waits from
//    /proc (the machine, each --pids process, the Spindle JVM's threads by name, the backends of the
//    --pg-db database and PostgreSQL's own background processes, this client).
// 4. Waits until the last job is finished and nothing is QUEUED or RUNNING, then reads every job back.
//
// The steady window runs from the 10th to the 90th percentile of finishedAt: the pool is full and
// the backlog not yet empty. Prints KEY=VALUE figures on stdout, progress on stderr.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

public class DownstreamBench {

    static final Map<String, String> opts = new HashMap<>();

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        SpindleBench.base = opts.getOrDefault("base", "http://127.0.0.1:18180");
        String stub = opts.getOrDefault("stub", "http://127.0.0.1:18090");
        int jobs = intOpt("jobs", 30_000);
        int batch = intOpt("batch", 1000);
        int submitters = intOpt("submitters", 2);
        int warmup = intOpt("warmup", 10_000);
        String downstream = opts.getOrDefault("downstream", "stub");
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String pair : opts.getOrDefault("pids", "").split(",")) {
            if (!pair.isBlank()) {
                pids.put(pair.substring(0, pair.indexOf('=')), Long.parseLong(pair.substring(pair.indexOf('=') + 1)));
            }
        }
        pids.put("client", ProcessHandle.current().pid());
        String postgres = opts.get("pg-db");

        // 1. warm-up: the same path (claim, call, complete), and the pool's connections to the stub
        double estRate = 3000;
        if (warmup > 0) {
            SpindleBench.Submitted w = SpindleBench.submitBatches(warmup, batch, submitters, i -> http(i, downstream, null));
            SpindleBench.awaitTerminal(Collections.max(w.ids()), Duration.ofSeconds(120));
            SpindleBench.waitIdle(Duration.ofSeconds(120), 50);
            estRate = w.rate();
            SpindleBench.log("warm-up: %d http jobs submitted at %.0f jobs/s and run", warmup, w.rate());
        }

        // 2. the measured jobs, all due at one runAt
        long marginMs = Math.clamp((long) (jobs / Math.max(500, estRate) * 1500) + 2000, 3000, 90_000);
        Instant runAt = Instant.now().plusMillis(marginMs).truncatedTo(ChronoUnit.MILLIS);
        String runAtText = runAt.toString();
        SpindleBench.log("submitting %d http jobs in batches of %d (%d submitters), runAt %s (+%d ms)", jobs, batch,
                submitters, runAtText, marginMs);
        SpindleBench.Submitted s = SpindleBench.submitBatches(jobs, batch, submitters, i -> http(i, downstream, runAtText));
        boolean overlap = System.currentTimeMillis() >= runAt.toEpochMilli();
        SpindleBench.log("submitted in %.2f s (%.0f jobs/s)%s", s.seconds(), s.rate(),
                overlap ? " -- WARNING: the submission ran past runAt" : "");
        resetStub(stub);
        out("JOBS", jobs);
        out("SUBMIT_RATE", Math.round(s.rate()));
        out("SUBMIT_OVERLAP", overlap);

        // 3. sample from just before runAt until everything is done
        Sampler sampler = new Sampler(pids, postgres, stub, Integer.parseInt(opts.getOrDefault("hz", "100")));
        long sleep = runAt.toEpochMilli() - 300 - System.currentTimeMillis();
        if (sleep > 0) {
            Thread.sleep(sleep);
        }
        Thread samplerThread = Thread.ofPlatform().daemon().name("sampler").start(sampler);
        SpindleBench.awaitTerminal(Collections.max(s.ids()), Duration.ofSeconds(600));
        SpindleBench.waitIdle(Duration.ofSeconds(300), 20);
        sampler.stop();
        samplerThread.join();
        Map<?, ?> stubStats = (Map<?, ?>) SpindleBench.Json.parse(SpindleBench.getAbs(stub + "/__stats"));

        // 4. every job back, from the service's own timestamps
        List<JobTimes> times = collect(s.ids());
        report(jobs, runAt, times, sampler, stubStats);
    }

    static void resetStub(String stub) throws Exception {
        var response = SpindleBench.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(stub + "/__reset"))
            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("stub reset -> " + response.statusCode());
        }
    }

    static String http(int i, String downstream, String runAt) {
        return "{\"type\":\"http\",\"payload\":{\"downstream\":\"" + downstream + "\",\"method\":\"GET\",\"path\":\"/work/" + i
                + "\"}" + (runAt == null ? "" : ",\"runAt\":\"" + runAt + "\"") + "}";
    }

    record JobTimes(String state, Instant started, Instant finished) {
    }

    /** Pages through all jobs newest first (by primary key, 500 a page) and keeps the wanted ones. */
    static List<JobTimes> collect(List<String> ids) throws Exception {
        Set<String> wanted = new HashSet<>(ids);
        String smallest = Collections.min(ids);
        List<JobTimes> found = new ArrayList<>(ids.size());
        String after = null;
        for (int page = 0; page < 100_000; page++) {
            Object answer = SpindleBench.Json.parse(SpindleBench.get("/api/v1/jobs?limit=500" + (after == null ? "" : "&after=" + after)));
            for (Object job : (List<?>) ((Map<?, ?>) answer).get("items")) {
                Map<?, ?> j = (Map<?, ?>) job;
                if (wanted.contains(String.valueOf(j.get("id")))) {
                    found.add(new JobTimes(String.valueOf(j.get("state")),
                            j.get("startedAt") == null ? null : Instant.parse(j.get("startedAt").toString()),
                            j.get("finishedAt") == null ? null : Instant.parse(j.get("finishedAt").toString())));
                }
            }
            after = (String) ((Map<?, ?>) answer).get("next");
            if (after == null || after.compareTo(smallest) < 0) {
                break;
            }
        }
        return found;
    }

    static void report(int jobs, Instant runAt, List<JobTimes> times, Sampler sampler, Map<?, ?> stubStats) {
        Map<String, Integer> states = new TreeMap<>();
        times.forEach(t -> states.merge(t.state(), 1, Integer::sum));
        out("STATES", states.toString().replace(" ", ""));
        List<JobTimes> done = times.stream().filter(t -> t.state().equals("SUCCEEDED")).toList();
        out("SUCCEEDED", done.size());
        List<Instant> finished = done.stream().map(JobTimes::finished).sorted().toList();
        Instant first = done.stream().map(JobTimes::started).min(Instant::compareTo).orElseThrow();
        Instant last = finished.getLast();
        Instant t10 = finished.get(finished.size() / 10);
        Instant t90 = finished.get(finished.size() * 9 / 10);
        long inWindow = finished.stream().filter(f -> !f.isBefore(t10) && !f.isAfter(t90)).count();
        double window = SpindleBench.millisBetween(t10, t90) / 1000.0;
        out("FIRST_START_MS", fmt(SpindleBench.millisBetween(runAt, first)));
        out("ALL_DONE_S", fmt3(SpindleBench.millisBetween(runAt, last) / 1000.0));
        out("OVERALL_RATE", Math.round(done.size() / (SpindleBench.millisBetween(runAt, last) / 1000.0)));
        out("STEADY_WINDOW_S", fmt3(window));
        out("STEADY_FROM", t10);
        out("STEADY_TO", t90);
        double steadyRate = inWindow / window;
        out("STEADY_RATE", Math.round(steadyRate));

        // the pool's view: jobs between startedAt (claim) and finishedAt (handler returned)
        SpindleBench.Samples run = new SpindleBench.Samples();
        List<long[]> edges = new ArrayList<>();
        for (JobTimes t : done) {
            run.add(SpindleBench.millisBetween(t.started(), t.finished()));
            edges.add(new long[] { micros(t.started()), 1 });
            edges.add(new long[] { micros(t.finished()), -1 });
        }
        edges.sort((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
        long w0 = micros(t10), w1 = micros(t90), prev = Long.MIN_VALUE, level = 0, maxLevel = 0;
        double area = 0;
        for (long[] edge : edges) {
            long from = Math.max(prev, w0), to = Math.min(edge[0], w1);
            if (to > from) {
                area += level * (double) (to - from);
            }
            prev = edge[0];
            level += edge[1];
            maxLevel = Math.max(maxLevel, level);
        }
        out("RUN_P50_MS", fmt(run.p(50)));
        out("RUN_P99_MS", fmt(run.p(99)));
        out("RUN_MAX_MS", fmt(run.max()));
        out("POOL_MAX_STARTED_NOT_FINISHED", maxLevel);
        out("POOL_AVG_STARTED_NOT_FINISHED", Math.round(area / (w1 - w0)));

        // the stub's view
        out("STUB_REQUESTS", ((Number) stubStats.get("requests")).longValue());
        out("STUB_MAX_IN_FLIGHT", ((Number) stubStats.get("maxInFlight")).longValue());
        double sum = 0;
        int n = 0, min = Integer.MAX_VALUE;
        for (Sample sample : sampler.samples) {
            if (!sample.at().isBefore(t10) && !sample.at().isAfter(t90) && sample.stubInFlight() >= 0) {
                sum += sample.stubInFlight();
                min = Math.min(min, sample.stubInFlight());
                n++;
            }
        }
        out("STUB_AVG_IN_FLIGHT", n == 0 ? "" : Math.round(sum / n));
        out("STUB_MIN_IN_FLIGHT", n == 0 ? "" : min);
        out("STUB_IN_FLIGHT_SAMPLES", n);

        // CPU in the steady window, in cores (1.0 = one core busy the whole time)
        Sample a = null, b = null;
        for (Sample sample : sampler.samples) {
            if (a == null && !sample.at().isBefore(t10)) {
                a = sample;
            }
            if (!sample.at().isAfter(t90)) {
                b = sample;
            }
        }
        if (a != null && b != null && b.at().isAfter(a.at())) {
            double seconds = SpindleBench.millisBetween(a.at(), b.at()) / 1000.0;
            double hz = sampler.hz;
            out("CPU_WINDOW_S", fmt3(seconds));
            double machine = (b.machineBusy() - a.machineBusy()) / hz / seconds;
            out("CPU_MACHINE_CORES", fmt2(machine));
            out("CPU_MACHINE_IDLE_CORES", fmt2((b.machineIdle() - a.machineIdle()) / hz / seconds));
            double known = 0;
            for (String group : b.groups().keySet()) {
                double cores = (b.groups().get(group) - a.groups().getOrDefault(group, 0L)) / hz / seconds;
                known += cores;
                out("CPU_" + group.toUpperCase() + "_CORES", fmt2(cores));
                if (b.groupWaitNs().containsKey(group)) {
                    // how many threads of it were, on average, ready to run but waiting for a CPU
                    out("RUNQ_" + group.toUpperCase() + "_THREADS",
                            fmt2((b.groupWaitNs().get(group) - a.groupWaitNs().getOrDefault(group, 0L)) / 1e9 / seconds));
                }
                if (group.equals("spindle") || group.equals("stub") || group.equals("postgres")) {
                    // CPU time per completed job (per request, for the stub)
                    out("CPU_" + group.toUpperCase() + "_US_PER_JOB", Math.round(cores * 1e6 / steadyRate));
                }
            }
            out("CPU_OTHERS_CORES", fmt2(Math.max(0, machine - known)));
            Map<String, Double> byClass = new TreeMap<>();
            Map<String, Double> waitByClass = new TreeMap<>();
            for (var thread : b.spindleThreads().entrySet()) {
                ThreadTicks before = a.spindleThreads().getOrDefault(thread.getKey(), new ThreadTicks("", 0, 0));
                byClass.merge(thread.getValue().kind(), (thread.getValue().ticks() - before.ticks()) / hz / seconds, Double::sum);
                waitByClass.merge(thread.getValue().kind(), (thread.getValue().waitNs() - before.waitNs()) / 1e9 / seconds,
                        Double::sum);
            }
            byClass.forEach((kind, cores) -> out("SPINDLE_THREADS_" + kind.toUpperCase() + "_CORES", fmt2(cores)));
            waitByClass.forEach((kind, threads) -> out("SPINDLE_THREADS_" + kind.toUpperCase() + "_RUNQ", fmt2(threads)));
        }
    }

    static long micros(Instant t) {
        return t.getEpochSecond() * 1_000_000 + t.getNano() / 1000;
    }

    // --- sampling /proc and the stub --------------------------------------------------------------

    /** CPU ticks of a thread, and the nanoseconds it waited on a run queue (ready, no CPU free: schedstat). */
    record ThreadTicks(String kind, long ticks, long waitNs) {
    }

    record Sample(Instant at, long machineBusy, long machineIdle, Map<String, Long> groups, Map<String, Long> groupWaitNs,
            Map<Long, ThreadTicks> spindleThreads, int stubInFlight) {
    }

    static final class Sampler implements Runnable {

        final List<Sample> samples = new CopyOnWriteArrayList<>();

        final Map<String, Long> pids;

        final String postgres;

        final String stub;

        final int hz;

        final AtomicBoolean running = new AtomicBoolean(true);

        /** @param postgres the database whose backends count as PostgreSQL's share, or null */
        Sampler(Map<String, Long> pids, String postgres, String stub, int hz) {
            this.pids = pids;
            this.postgres = postgres;
            this.stub = stub;
            this.hz = hz;
        }

        void stop() {
            running.set(false);
        }

        @Override
        public void run() {
            while (running.get()) {
                try {
                    samples.add(sample());
                    Thread.sleep(200);
                }
                catch (InterruptedException ex) {
                    return;
                }
                catch (Exception ex) {
                    SpindleBench.log("sample failed: %s", ex);
                }
            }
        }

        Sample sample() throws Exception {
            int inFlight = -1;
            try {
                Map<?, ?> stats = (Map<?, ?>) SpindleBench.Json.parse(SpindleBench.getAbs(stub + "/__stats"));
                inFlight = ((Number) stats.get("inFlight")).intValue();
            }
            catch (Exception ex) {
                SpindleBench.log("stub stats failed: %s", ex);
            }
            Instant at = Instant.now();
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] { 1, 2, 3, 6, 7, 8 }) { // user nice system irq softirq steal
                busy += Long.parseLong(cpu[i]);
            }
            long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
            Map<String, Long> groups = new LinkedHashMap<>();
            Map<String, Long> waits = new LinkedHashMap<>();
            for (var entry : pids.entrySet()) {
                groups.put(entry.getKey(), ticks(Path.of("/proc/" + entry.getValue() + "/stat")));
                long wait = 0;
                try (Stream<Path> tasks = Files.list(Path.of("/proc/" + entry.getValue() + "/task"))) {
                    for (Path task : tasks.toList()) {
                        wait += runQueueWait(task);
                    }
                }
                waits.put(entry.getKey(), wait);
            }
            if (postgres != null) {
                // our database's backends, and the server's own processes (WAL writer, checkpointer,
                // autovacuum, ...); backends of other databases belong to other sessions
                long pg = 0, pgWait = 0, bg = 0, bgWait = 0;
                try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                    for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                        try {
                            if (Files.readString(p.resolve("comm")).trim().equals("postgres")) {
                                String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ');
                                if (cmd.contains(" " + postgres + " ")) {
                                    pg += ticks(p.resolve("stat"));
                                    pgWait += runQueueWait(p);
                                }
                                else if (!cmd.matches("postgres: \\S+ \\S+ .*\\(\\d+\\).*")) {
                                    bg += ticks(p.resolve("stat"));
                                    bgWait += runQueueWait(p);
                                }
                            }
                        }
                        catch (IOException gone) {
                            // the process ended meanwhile
                        }
                    }
                }
                groups.put("postgres", pg);
                waits.put("postgres", pgWait);
                groups.put("postgres_bg", bg);
                waits.put("postgres_bg", bgWait);
            }
            Map<Long, ThreadTicks> threads = new HashMap<>();
            Long spindle = pids.get("spindle");
            if (spindle != null) {
                try (Stream<Path> tasks = Files.list(Path.of("/proc/" + spindle + "/task"))) {
                    for (Path task : tasks.toList()) {
                        try {
                            String stat = Files.readString(task.resolve("stat"));
                            String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                            threads.put(Long.parseLong(task.getFileName().toString()),
                                    new ThreadTicks(kind(comm), ticks(stat), runQueueWait(task)));
                        }
                        catch (IOException gone) {
                            // the thread ended meanwhile
                        }
                    }
                }
            }
            return new Sample(at, busy, idle, groups, waits, threads, inFlight);
        }

        /** Spindle's threads by what they do (Linux keeps the first 15 characters of a name). */
        static String kind(String comm) {
            if (comm.startsWith("ForkJoinPool")) {
                return "carriers"; // virtual threads: jobs, their HTTP calls, REST requests
            }
            if (comm.startsWith("spindle-dispatc")) {
                return "dispatcher"; // claims
            }
            if (comm.startsWith("spindle-complet")) {
                return "completion_writer";
            }
            if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
                return "gc";
            }
            if (comm.contains("CompilerThre")) {
                return "jit";
            }
            return "other";
        }

        /** The second field of schedstat: nanoseconds spent runnable but waiting for a CPU. */
        static long runQueueWait(Path task) {
            try {
                return Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[1]);
            }
            catch (IOException | RuntimeException ex) {
                return 0;
            }
        }

        static long ticks(Path stat) {
            try {
                return ticks(Files.readString(stat));
            }
            catch (IOException ex) {
                return 0;
            }
        }

        /** utime + stime: fields 14 and 15, counted after the command name in parentheses. */
        static long ticks(String stat) {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
    }

    // --- small helpers ----------------------------------------------------------------------------

    static int intOpt(String name, int def) {
        return opts.containsKey(name) ? Integer.parseInt(opts.get(name)) : def;
    }

    static String fmt(double v) {
        return SpindleBench.fmt(v, 1);
    }

    static String fmt2(double v) {
        return SpindleBench.fmt(v, 2);
    }

    static String fmt3(double v) {
        return SpindleBench.fmt(v, 3);
    }

    static void out(String key, Object value) {
        SpindleBench.out("DS_" + key, value);
    }
}
