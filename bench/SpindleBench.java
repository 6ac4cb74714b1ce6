// Spindle benchmark client: a single-file Java program (JDK 25, no dependencies).
//
//   $JAVA_HOME/bin/java bench/SpindleBench.java <command> [--option value ...]
//
// Commands (each prints KEY=VALUE lines on stdout, progress on stderr):
//   idle     wait until no job is QUEUED or RUNNING
//   drain    scenario 2: submit N noop jobs in batches, all with the same future runAt, then time the drain
//   burst    scenario 3 (+4a): submit N sleep jobs in batches, time from the last submit until all finished,
//            sample the heap, and compute startedAt - runAt for those jobs
//   latency  scenario 4b: submit N noop jobs one at a time at a fixed rate, then startedAt - runAt per job
//   gclog    peak heap before / after GC from a -Xlog:gc log file
//
// Common options: --base http://127.0.0.1:18080  --mgmt http://127.0.0.1:18081
//
// It talks to the service over loopback only, and every loop is bounded in count and time.

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class SpindleBench {

    static final HttpClient HTTP = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();

    static String base = "http://127.0.0.1:18080";

    static String mgmt = "http://127.0.0.1:18081";

    static final Map<String, String> opts = new HashMap<>();

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: SpindleBench <idle|drain|burst|latency|gclog> [--option value ...]");
            System.exit(2);
        }
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        base = opt("base", base);
        mgmt = opt("mgmt", mgmt);
        switch (args[0]) {
            case "idle" -> {
                long ms = waitIdle(Duration.ofSeconds(intOpt("timeout", 300)), intOpt("poll-ms", 200));
                out("IDLE_WAIT_MS", ms);
            }
            case "drain" -> drain();
            case "burst" -> burst();
            case "latency" -> latency();
            case "gclog" -> gclog(Path.of(opt("file", "gc.log")));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    // ------------------------------------------------------------------------------------------
    // scenario 2: drain

    static void drain() throws Exception {
        int jobs = intOpt("jobs", 100_000);
        int batch = intOpt("batch", 1000);
        int submitters = intOpt("submitters", 2);
        int warmup = intOpt("warmup", 10_000);

        // warm-up, not measured: the same path end to end (insert, claim, run, complete), in two
        // rounds; the second round's submit rate sizes the margin before runAt
        double estRate = opts.containsKey("est-rate") ? Double.parseDouble(opts.get("est-rate")) : 3000;
        for (int round = 1; round <= 2 && warmup > 0; round++) {
            int n = Math.max(batch, warmup / 2);
            Submitted w = submitBatches(n, batch, submitters, i -> noop(i, null));
            awaitTerminal(Collections.max(w.ids()), Duration.ofSeconds(120));
            waitIdle(Duration.ofSeconds(120), 50);
            log("drain: warm-up round %d: %d noop jobs submitted at %.0f jobs/s and run", round, n, w.rate());
            estRate = w.rate();
        }

        // All jobs get the same runAt, far enough ahead that the submission is over before it
        // (checked below): the estimated submit time x1.5 + 2 s, bounded to 3..90 s. The warm-up
        // rate is measured while those jobs also run, so it underestimates the rate here.
        long marginMs = Math.clamp((long) (jobs / Math.max(500, estRate) * 1500) + 2000, 3000, 90_000);
        Instant runAt = Instant.now().plusMillis(marginMs).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        String runAtText = runAt.toString();
        log("drain: submitting %d noop jobs in batches of %d (%d submitters), all with runAt %s (+%d ms)", jobs, batch,
                submitters, runAtText, marginMs);
        Submitted s = submitBatches(jobs, batch, submitters, i -> noop(i, runAtText));
        long submitEnd = System.currentTimeMillis();
        boolean overlap = submitEnd >= runAt.toEpochMilli();
        log("drain: submitted in %.2f s (%.0f jobs/s)%s", s.seconds(), s.rate(),
                overlap ? " -- WARNING: the submission ran past runAt" : "");
        out("DRAIN_JOBS", jobs);
        out("DRAIN_BATCH", batch);
        out("DRAIN_SUBMITTERS", submitters);
        out("DRAIN_SUBMIT_S", fmt(s.seconds(), 3));
        out("DRAIN_SUBMIT_RATE", Math.round(s.rate()));
        out("DRAIN_SUBMIT_OVERLAP", overlap);
        out("DRAIN_WAITED_BEFORE_RUNAT_MS", Math.max(0, runAt.toEpochMilli() - submitEnd));

        // wait for runAt, then poll until nothing is QUEUED or RUNNING
        long sleep = runAt.toEpochMilli() - System.currentTimeMillis();
        if (sleep > 0) {
            Thread.sleep(sleep);
        }
        // Jobs of equal priority and runAt are dispatched in id order: long-poll the last one, then
        // make sure nothing is left QUEUED or RUNNING (cheap queries by then). No polling of the
        // QUEUED list while 100,000 jobs are QUEUED: on H2 that query sorts them all, each time.
        awaitTerminal(Collections.max(s.ids()), Duration.ofSeconds(300));
        waitIdle(Duration.ofSeconds(300), 5);
        Instant done = Instant.now();
        double observed = millisBetween(runAt, done) / 1000.0;

        // then read every job back and check it, from the server's own timestamps
        Stats st = collect(s.ids(), "SUCCEEDED");
        double serverDrain = millisBetween(runAt, st.maxFinished) / 1000.0;
        log("drain: %d of %d SUCCEEDED; observed drain %.3f s (%.0f jobs/s); by finishedAt %.3f s", st.count, jobs, observed,
                jobs / observed, serverDrain);
        out("DRAIN_SUCCEEDED", st.count);
        out("DRAIN_OBSERVED_S", fmt(observed, 3));
        out("DRAIN_OBSERVED_RATE", Math.round(jobs / observed));
        out("DRAIN_SERVER_S", fmt(serverDrain, 3));
        out("DRAIN_SERVER_RATE", Math.round(jobs / serverDrain));
        out("DRAIN_FIRST_START_MS", fmt(millisBetween(runAt, st.minStarted), 1));
        out("DRAIN_START_P50_MS", fmt(st.startDelay.p(50), 1));
        out("DRAIN_START_P99_MS", fmt(st.startDelay.p(99), 1));
    }

    // ------------------------------------------------------------------------------------------
    // scenario 3: burst of sleep jobs (and the start delays of those jobs, scenario 4a)

    static void burst() throws Exception {
        int jobs = intOpt("jobs", 10_000);
        int batch = intOpt("batch", 1000);
        int submitters = intOpt("submitters", 1);
        int sleepMs = intOpt("sleep-ms", 100);
        int warmup = intOpt("warmup", 2000);

        HeapSampler heap = new HeapSampler(intOpt("heap-sample-ms", 50));
        Thread sampler = Thread.ofVirtual().start(heap);
        try {
            if (warmup > 0) {
                log("burst: warm-up, %d sleep %d ms jobs", warmup, sleepMs);
                Submitted w = submitBatches(warmup, batch, submitters, i -> sleep(i, sleepMs));
                awaitTerminal(Collections.max(w.ids()), Duration.ofSeconds(120));
                waitIdle(Duration.ofSeconds(120), 20);
            }
            heap.resetPeak();
            log("burst: submitting %d sleep %d ms jobs in batches of %d", jobs, sleepMs, batch);
            Submitted s = submitBatches(jobs, batch, submitters, i -> sleep(i, sleepMs));
            Instant lastSubmit = s.end();
            // the last job in dispatch order (long-poll), then nothing QUEUED or RUNNING (polling)
            awaitTerminal(Collections.max(s.ids()), Duration.ofSeconds(120));
            waitIdle(Duration.ofSeconds(120), 5);
            Instant done = Instant.now();
            heap.stop();
            sampler.join();

            Stats st = collect(s.ids(), "SUCCEEDED");
            double observed = millisBetween(lastSubmit, done) / 1000.0;
            double server = millisBetween(lastSubmit, st.maxFinished) / 1000.0;
            double total = millisBetween(s.start(), done) / 1000.0;
            log("burst: %d of %d SUCCEEDED; last submit -> all finished %.3f s (by finishedAt %.3f s); heap peak %.0f MB",
                    st.count, jobs, observed, server, heap.peak() / 1048576.0);
            out("BURST_JOBS", jobs);
            out("BURST_SLEEP_MS", sleepMs);
            out("BURST_SUCCEEDED", st.count);
            out("BURST_SUBMIT_S", fmt(s.seconds(), 3));
            out("BURST_SUBMIT_RATE", Math.round(s.rate()));
            out("BURST_AFTER_LAST_SUBMIT_S", fmt(observed, 3));
            out("BURST_AFTER_LAST_SUBMIT_SERVER_S", fmt(server, 3));
            out("BURST_FIRST_SUBMIT_TO_DONE_S", fmt(total, 3));
            out("BURST_HEAP_PEAK_MB", fmt(heap.peak() / 1048576.0, 0));
            out("BURST_HEAP_SAMPLES", heap.samples());
            out("BURST_RUN_P50_MS", fmt(st.runTime.p(50), 1));
            out("BURST_RUN_MAX_MS", fmt(st.runTime.max(), 1));
            out("LAT_BURST_N", st.startDelay.size());
            out("LAT_BURST_P50_MS", fmt(st.startDelay.p(50), 1));
            out("LAT_BURST_P99_MS", fmt(st.startDelay.p(99), 1));
            out("LAT_BURST_MAX_MS", fmt(st.startDelay.max(), 1));
        }
        finally {
            heap.stop();
        }
    }

    // ------------------------------------------------------------------------------------------
    // scenario 4b: light load, one job at a time

    static void latency() throws Exception {
        int jobs = intOpt("jobs", 2000);
        int rate = intOpt("rate", 200);
        int warmup = intOpt("warmup", 200);
        long periodNanos = 1_000_000_000L / rate;
        for (int i = 0; i < warmup; i++) {
            post("/api/v1/jobs", noop(i, null));
        }
        waitIdle(Duration.ofSeconds(60), 20);
        log("latency: %d noop jobs, one request at a time, paced at %d/s", jobs, rate);
        List<String> ids = new ArrayList<>(jobs);
        Samples submitLatency = new Samples();
        long t0 = System.nanoTime();
        for (int i = 0; i < jobs; i++) {
            long due = t0 + i * periodNanos;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(Duration.ofNanos(wait));
            }
            long a = System.nanoTime();
            Object job = Json.parse(post("/api/v1/jobs", noop(i, null)));
            submitLatency.add((System.nanoTime() - a) / 1e6);
            ids.add(str(job, "id"));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        waitIdle(Duration.ofSeconds(60), 20);
        Samples delay = new Samples();
        Samples total = new Samples();
        int succeeded = 0;
        for (String id : ids) {
            Object job = Json.parse(get("/api/v1/jobs/" + id));
            if ("SUCCEEDED".equals(str(job, "state"))) {
                succeeded++;
            }
            Instant runAt = Instant.parse(str(job, "runAt"));
            delay.add(millisBetween(runAt, Instant.parse(str(job, "startedAt"))));
            total.add(millisBetween(runAt, Instant.parse(str(job, "finishedAt"))));
        }
        log("latency: startedAt - runAt p50 %.1f ms, p99 %.1f ms, max %.1f ms", delay.p(50), delay.p(99), delay.max());
        out("LAT_LIGHT_N", jobs);
        out("LAT_LIGHT_RATE", fmt(jobs / seconds, 0));
        out("LAT_LIGHT_SUCCEEDED", succeeded);
        out("LAT_LIGHT_P50_MS", fmt(delay.p(50), 1));
        out("LAT_LIGHT_P99_MS", fmt(delay.p(99), 1));
        out("LAT_LIGHT_MAX_MS", fmt(delay.max(), 1));
        out("LAT_LIGHT_DONE_P50_MS", fmt(total.p(50), 1));
        out("LAT_LIGHT_DONE_P99_MS", fmt(total.p(99), 1));
        out("LAT_LIGHT_SUBMIT_P50_MS", fmt(submitLatency.p(50), 2));
        out("LAT_LIGHT_SUBMIT_P99_MS", fmt(submitLatency.p(99), 2));
    }

    // ------------------------------------------------------------------------------------------
    // GC log: G1 lines such as "GC(3) Pause Young (Normal) (G1 Evacuation Pause) 120M->30M(512M) 3.456ms"

    static void gclog(Path file) throws IOException {
        Pattern p = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)(?:\\s+([0-9.]+)ms)?");
        long maxBefore = 0, maxAfter = 0, maxCommitted = 0, pauses = 0;
        double pauseMs = 0, maxPause = 0;
        boolean full = false;
        for (String line : Files.readAllLines(file)) {
            Matcher m = p.matcher(line);
            if (!m.find()) {
                continue;
            }
            maxBefore = Math.max(maxBefore, Long.parseLong(m.group(1)));
            maxAfter = Math.max(maxAfter, Long.parseLong(m.group(2)));
            maxCommitted = Math.max(maxCommitted, Long.parseLong(m.group(3)));
            full |= line.contains("Pause Full");
            if (m.group(4) != null && line.contains("Pause")) {
                pauses++;
                double ms = Double.parseDouble(m.group(4));
                pauseMs += ms;
                maxPause = Math.max(maxPause, ms);
            }
        }
        boolean oom = Files.readString(file).contains("OutOfMemory");
        String prefix = opt("prefix", "GC");
        out(prefix + "_MAX_BEFORE_MB", maxBefore);
        out(prefix + "_MAX_AFTER_MB", maxAfter);
        out(prefix + "_MAX_COMMITTED_MB", maxCommitted);
        out(prefix + "_PAUSES", pauses);
        out(prefix + "_PAUSE_TOTAL_MS", fmt(pauseMs, 1));
        out(prefix + "_PAUSE_MAX_MS", fmt(maxPause, 1));
        out(prefix + "_FULL_GC", full);
        out(prefix + "_OOM", oom);
    }

    // ------------------------------------------------------------------------------------------
    // submission

    record Submitted(List<String> ids, Instant start, Instant end) {
        double seconds() {
            return millisBetween(start, end) / 1000.0;
        }

        double rate() {
            return ids.size() / seconds();
        }
    }

    interface JobBody {
        String json(int i);
    }

    /** Posts {@code total} jobs in batches, from {@code submitters} concurrent clients; the ids in order. */
    static Submitted submitBatches(int total, int batch, int submitters, JobBody body) throws Exception {
        int batches = (total + batch - 1) / batch;
        List<String> bodies = new ArrayList<>(batches);
        for (int b = 0; b < batches; b++) {
            StringBuilder sb = new StringBuilder(batch * 64).append("{\"jobs\":[");
            int from = b * batch, to = Math.min(total, from + batch);
            for (int i = from; i < to; i++) {
                if (i > from) {
                    sb.append(',');
                }
                sb.append(body.json(i));
            }
            bodies.add(sb.append("]}").toString());
        }
        String[][] ids = new String[batches][];
        AtomicLong next = new AtomicLong();
        Instant start = Instant.now();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < submitters; t++) {
                futures.add(pool.submit(() -> {
                    int b;
                    while ((b = (int) next.getAndIncrement()) < batches) {
                        Object answer = Json.parse(post("/api/v1/jobs/batch", bodies.get(b)));
                        List<?> jobs = (List<?>) ((Map<?, ?>) answer).get("jobs");
                        String[] got = new String[jobs.size()];
                        for (int i = 0; i < got.length; i++) {
                            got[i] = str(jobs.get(i), "id");
                        }
                        ids[b] = got;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        Instant end = Instant.now();
        List<String> all = new ArrayList<>(total);
        for (String[] got : ids) {
            Collections.addAll(all, got);
        }
        return new Submitted(all, start, end);
    }

    static String noop(int i, String runAt) {
        return "{\"type\":\"noop\",\"payload\":{\"n\":" + i + "}" + (runAt == null ? "" : ",\"runAt\":\"" + runAt + "\"")
                + "}";
    }

    static String sleep(int i, int ms) {
        return "{\"type\":\"sleep\",\"payload\":{\"ms\":" + ms + "}}";
    }

    // ------------------------------------------------------------------------------------------
    // reading back

    static final class Stats {
        int count;
        Instant minStarted = Instant.MAX;
        Instant maxFinished = Instant.MIN;
        final Samples startDelay = new Samples();
        final Samples runTime = new Samples();
    }

    /**
     * Pages through all jobs newest first (500 a page, by primary key: no state filter, which on H2
     * would sort every job in that state for each page) and gathers the ones in {@code ids} that are
     * in {@code state}: how many, first start, last finish, and per job startedAt - runAt.
     */
    static Stats collect(List<String> ids, String state) throws Exception {
        Set<String> wanted = new HashSet<>(ids);
        String smallest = Collections.min(ids);
        Stats st = new Stats();
        String after = null;
        for (int page = 0; page < 100_000; page++) {
            Object answer = Json.parse(get("/api/v1/jobs?limit=500" + (after == null ? "" : "&after=" + after)));
            List<?> items = (List<?>) ((Map<?, ?>) answer).get("items");
            for (Object job : items) {
                String id = str(job, "id");
                if (!wanted.contains(id) || !state.equals(str(job, "state"))) {
                    continue;
                }
                st.count++;
                Instant runAt = Instant.parse(str(job, "runAt"));
                Instant started = Instant.parse(str(job, "startedAt"));
                Instant finished = Instant.parse(str(job, "finishedAt"));
                if (started.isBefore(st.minStarted)) {
                    st.minStarted = started;
                }
                if (finished.isAfter(st.maxFinished)) {
                    st.maxFinished = finished;
                }
                st.startDelay.add(millisBetween(runAt, started));
                st.runTime.add(millisBetween(started, finished));
            }
            after = (String) ((Map<?, ?>) answer).get("next");
            // ids are time-ordered and the list is newest first: stop below the smallest wanted id
            if (after == null || after.compareTo(smallest) < 0) {
                break;
            }
        }
        return st;
    }

    /** Long-polls one job until it is terminal. */
    static void awaitTerminal(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Object job = Json.parse(get("/api/v1/jobs/" + id + "?wait=PT10S"));
            String state = str(job, "state");
            if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
                return;
            }
        }
        throw new IllegalStateException("job " + id + " not finished after " + timeout);
    }

    /** Polls until nothing is QUEUED, then nothing RUNNING (in that order); the milliseconds it took. */
    static long waitIdle(Duration timeout, long pollMs) throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (isEmpty("QUEUED") && isEmpty("RUNNING")) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(pollMs);
        }
        throw new IllegalStateException("jobs still QUEUED or RUNNING after " + timeout);
    }

    static boolean isEmpty(String state) throws Exception {
        Object answer = Json.parse(get("/api/v1/jobs?state=" + state + "&limit=1"));
        return ((List<?>) ((Map<?, ?>) answer).get("items")).isEmpty();
    }

    // ------------------------------------------------------------------------------------------
    // heap sampling from the actuator

    static final class HeapSampler implements Runnable {
        private final long periodMs;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private volatile double peak;
        private volatile int samples;

        HeapSampler(long periodMs) {
            this.periodMs = periodMs;
        }

        @Override
        public void run() {
            while (running.get()) {
                try {
                    Object answer = Json.parse(getAbs(mgmt + "/actuator/metrics/jvm.memory.used?tag=area:heap"));
                    List<?> ms = (List<?>) ((Map<?, ?>) answer).get("measurements");
                    double used = ((Number) ((Map<?, ?>) ms.getFirst()).get("value")).doubleValue();
                    peak = Math.max(peak, used);
                    samples++;
                    Thread.sleep(periodMs);
                }
                catch (InterruptedException ex) {
                    return;
                }
                catch (Exception ex) {
                    log("heap sample failed: %s", ex);
                }
            }
        }

        void resetPeak() {
            peak = 0;
            samples = 0;
        }

        double peak() {
            return peak;
        }

        int samples() {
            return samples;
        }

        void stop() {
            running.set(false);
        }
    }

    // ------------------------------------------------------------------------------------------
    // HTTP

    static String post(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 202) {
            throw new IllegalStateException("POST " + path + " -> " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    static String get(String path) throws Exception {
        return getAbs(base + path);
    }

    static String getAbs(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " -> " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    // ------------------------------------------------------------------------------------------
    // small helpers

    static final class Samples {
        private final List<Double> values = new ArrayList<>();
        private boolean sorted;

        void add(double v) {
            values.add(v);
            sorted = false;
        }

        int size() {
            return values.size();
        }

        /** Nearest-rank percentile. */
        double p(double pct) {
            if (values.isEmpty()) {
                return Double.NaN;
            }
            if (!sorted) {
                Collections.sort(values);
                sorted = true;
            }
            int rank = (int) Math.ceil(pct / 100.0 * values.size());
            return values.get(Math.clamp(rank - 1, 0, values.size() - 1));
        }

        double max() {
            return p(100);
        }
    }

    static double millisBetween(Instant a, Instant b) {
        return Duration.between(a, b).toNanos() / 1e6;
    }

    static String str(Object json, String field) {
        Object v = ((Map<?, ?>) json).get(field);
        if (v == null) {
            throw new IllegalStateException("no '" + field + "' in " + json);
        }
        return v.toString();
    }

    static String opt(String name, String def) {
        return opts.getOrDefault(name, def);
    }

    static int intOpt(String name, int def) {
        return opts.containsKey(name) ? Integer.parseInt(opts.get(name)) : def;
    }

    static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static void out(String key, Object value) {
        System.out.println(key + "=" + value);
        System.out.flush();
    }

    static void log(String format, Object... args) {
        System.err.println("[bench " + Instant.now() + "] " + String.format(Locale.ROOT, format, args));
    }

    /** A minimal JSON reader: objects as LinkedHashMap, arrays as ArrayList, numbers as Double. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        static Object parse(String text) {
            Json p = new Json(text);
            Object v = p.value();
            p.ws();
            if (p.i != text.length()) {
                throw p.error("trailing characters");
            }
            return v;
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') {
                        i++;
                        return m;
                    }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                            continue;
                        }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') {
                        i++;
                        return l;
                    }
                    while (true) {
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') {
                            i++;
                            continue;
                        }
                        expect(']');
                        return l;
                    }
                }
                case '"':
                    return string();
                case 't':
                    literal("true");
                    return Boolean.TRUE;
                case 'f':
                    literal("false");
                    return Boolean.FALSE;
                case 'n':
                    literal("null");
                    return null;
                default: {
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    if (start == i) {
                        throw error("unexpected character");
                    }
                    return Double.parseDouble(s.substring(start, i));
                }
            }
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, i)) {
                throw error("expected " + word);
            }
            i += word.length();
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at " + i + " in JSON: "
                    + s.substring(Math.max(0, i - 40), Math.min(s.length(), i + 40)));
        }
    }
}
