package dev.spindle.files;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * The files a job takes: the regular files under its start path whose path below it matches the
 * glob, walked before any is read (so progress knows the total). Symbolic links are not followed
 * (a link found in the tree is skipped, counted); a directory that cannot be read is an error entry.
 */
final class FileWalk {

    /** A file to read, or (with {@code error}) one the walk could not look into. */
    record Entry(Path file, String name, long size, @org.jspecify.annotations.Nullable String error) {

        boolean failed() {
            return error != null;
        }
    }

    record Walked(List<Entry> entries, long bytes, int skipped) {
    }

    private FileWalk() {
    }

    /** @throws IOException when there are more than {@code maxFiles} files */
    /** @throws java.io.InterruptedIOException when the job is cancelled or times out during the walk */
    private static void stopIfInterrupted() throws java.io.InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new java.io.InterruptedIOException("the walk was stopped");
        }
    }

    static Walked walk(Path root, Path start, PathMatcher glob, int maxFiles) throws IOException {
        List<Entry> entries = new ArrayList<>();
        long[] bytes = { 0 };
        int[] skipped = { 0 };
        Files.walkFileTree(start, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE, new SimpleFileVisitor<>() {

            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                stopIfInterrupted();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                stopIfInterrupted();
                if (!attributes.isRegularFile()) {
                    skipped[0]++;
                    return FileVisitResult.CONTINUE;
                }
                Path below = start.equals(file) ? file.getFileName() : start.relativize(file);
                if (glob.matches(below)) {
                    if (entries.size() == maxFiles) {
                        throw new IOException("more than " + maxFiles + " files (spindle.files.max-files)");
                    }
                    entries.add(new Entry(file, RootPaths.relative(root, file), attributes.size(), null));
                    bytes[0] += attributes.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException failure) throws IOException {
                if (entries.size() == maxFiles) {
                    throw new IOException("more than " + maxFiles + " files (spindle.files.max-files)");
                }
                entries.add(new Entry(file, RootPaths.relative(root, file), 0, failure.toString()));
                return FileVisitResult.CONTINUE;
            }
        });
        return new Walked(entries, bytes[0], skipped[0]);
    }
}
