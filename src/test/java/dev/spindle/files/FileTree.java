package dev.spindle.files;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generated tree for the {@code files} tests and benchmark: {@code files} regular files nested
 * in directories, some empty, names with spaces (and, where the JVM's file names are UTF-8,
 * unicode), lines holding {@code needle<n>} now and then, a last line without its newline now and
 * then, and one large file; plus symbolic links, which the job skips. And what coreutils say of it.
 */
final class FileTree {

    private FileTree() {
    }

    static final boolean UNICODE_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"));

    /** Writes the tree under {@code root} (which must be empty). */
    static void generate(Path root, int files, long largeBytes) throws IOException {
        Random random = new Random(42);
        String[] words = { "alpha", "beta", "gamma", "needle7", "delta", "epsilon", "needle42", "zeta" };
        for (int i = 0; i < files; i++) {
            String dir = "d" + (i % 20) + "/sub " + (i % 7) + (UNICODE_NAMES && i % 3 == 0 ? "/ñandú" : "") + "/n" + (i % 50);
            String name = (UNICODE_NAMES && i % 11 == 0 ? "日本 " : "file ") + i + ".txt";
            Path file = root.resolve(dir).resolve(name);
            Files.createDirectories(file.getParent());
            if (i % 50 == 0) {
                Files.createFile(file);
                continue;
            }
            StringBuilder text = new StringBuilder();
            int lines = 1 + random.nextInt(40);
            for (int l = 0; l < lines; l++) {
                for (int w = 0; w < 1 + random.nextInt(8); w++) {
                    text.append(words[random.nextInt(words.length)]).append(' ');
                }
                if (l < lines - 1 || i % 13 != 0) {
                    text.append('\n');
                }
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
        Path large = root.resolve("big/large file.bin");
        Files.createDirectories(large.getParent());
        byte[] block = new byte[1 << 20];
        random.nextBytes(block);
        try (OutputStream out = Files.newOutputStream(large)) {
            for (long written = 0; written < largeBytes; written += block.length) {
                out.write(block, 0, (int) Math.min(block.length, largeBytes - written));
            }
        }
        Path links = Files.createDirectories(root.resolve("links"));
        Files.createSymbolicLink(links.resolve("to a file"), root.resolve("d1/sub 1/n1").toAbsolutePath());
    }

    /** {@code find . -type f -print0 | xargs -0 <command>} in {@code root}, its output lines. */
    static List<String> coreutils(Path root, String command) {
        try {
            Process process = new ProcessBuilder("bash", "-c", "find . -type f -print0 | xargs -0 " + command)
                .directory(root.toFile())
                .redirectErrorStream(false)
                .start();
            byte[] out = process.getInputStream().readAllBytes();
            process.waitFor();
            return List.of(new String(out, StandardCharsets.UTF_8).split("\n"));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** {@code sha256sum}: path (without {@code ./}) → hash. */
    static Map<String, String> sha256sum(Path root) {
        Map<String, String> sums = new HashMap<>();
        for (String line : coreutils(root, "sha256sum")) {
            sums.put(line.substring(66).substring(2), line.substring(0, 64));
        }
        return sums;
    }

    /** {@code wc -l}: path → lines (the total lines left out). */
    static Map<String, Long> wcLines(Path root) {
        Map<String, Long> counts = new HashMap<>();
        for (String line : coreutils(root, "wc -l")) {
            String trimmed = line.strip();
            int space = trimmed.indexOf(' ');
            String path = trimmed.substring(space + 1);
            if (path.startsWith("./")) {
                counts.put(path.substring(2), Long.parseLong(trimmed.substring(0, space)));
            }
        }
        return counts;
    }

    /** {@code grep -c -E <pattern>} (with the file name): path → matching lines. */
    static Map<String, Long> grepCount(Path root, String pattern) {
        Map<String, Long> counts = new HashMap<>();
        for (String line : coreutils(root, "grep -H -c -E '" + pattern + "'")) {
            int colon = line.lastIndexOf(':');
            counts.put(line.substring(2, colon), Long.parseLong(line.substring(colon + 1)));
        }
        return counts;
    }

}
