package dev.spindle.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The read loop of the {@code files} job's checksum (64 KB reads through a FileChannel into a
 * SHA-256 digest), three ways: a fresh heap buffer per file (what Spindle does), a buffer reused
 * from a shared pool, and a thread's own buffer reused. Over many small files (where allocation is
 * the largest share) and a few large ones, from the page cache, on as many threads as cores.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = { "-Xmx512m" })
@Threads(Threads.MAX)
public class BufferReuseBenchmark {

    static final int BUFFER = 64 * 1024;

    /** {@code small}: 2,000 files of 4 KB; {@code large}: 8 files of 8 MB. */
    @Param({ "small", "large" })
    public String files;

    private Path dir;

    private List<Path> paths;

    private final BlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(256);

    private final ThreadLocal<ByteBuffer> own = ThreadLocal.withInitial(() -> ByteBuffer.allocate(BUFFER));

    @Setup(Level.Trial)
    public void tree() throws IOException {
        dir = Files.createTempDirectory("buffer-bench");
        paths = new ArrayList<>();
        Random random = new Random(1);
        int count = files.equals("small") ? 2000 : 8;
        int size = files.equals("small") ? 4096 : 8 << 20;
        byte[] data = new byte[size];
        for (int i = 0; i < count; i++) {
            random.nextBytes(data);
            Path file = dir.resolve("f" + i);
            try (OutputStream out = Files.newOutputStream(file)) {
                out.write(data);
            }
            paths.add(file);
        }
        for (int i = 0; i < 256; i++) {
            pool.add(ByteBuffer.allocate(BUFFER));
        }
    }

    @TearDown(Level.Trial)
    public void remove() throws IOException {
        for (Path path : paths) {
            Files.delete(path);
        }
        Files.delete(dir);
    }

    private int next(Blackhole hole) {
        return (int) (Thread.currentThread().threadId() * 31 + System.nanoTime()) & Integer.MAX_VALUE;
    }

    private static byte[] checksum(Path file, ByteBuffer buffer) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            buffer.clear();
            int n;
            while ((n = channel.read(buffer)) >= 0) {
                sha256.update(buffer.array(), 0, n);
                buffer.clear();
            }
        }
        return sha256.digest();
    }

    @Benchmark
    public void fresh(Blackhole hole) throws Exception {
        Path file = paths.get(next(hole) % paths.size());
        hole.consume(checksum(file, ByteBuffer.allocate(BUFFER)));
    }

    @Benchmark
    public void pooled(Blackhole hole) throws Exception {
        Path file = paths.get(next(hole) % paths.size());
        ByteBuffer buffer = pool.take();
        try {
            hole.consume(checksum(file, buffer));
        }
        finally {
            pool.put(buffer);
        }
    }

    @Benchmark
    public void threadOwn(Blackhole hole) throws Exception {
        Path file = paths.get(next(hole) % paths.size());
        hole.consume(checksum(file, own.get()));
    }
}
