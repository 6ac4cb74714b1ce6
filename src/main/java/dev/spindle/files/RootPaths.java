package dev.spindle.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * A path a payload names under a root, and why it may not be read: a payload never leaves its root.
 * Refused as text: absolute paths, {@code ..} segments, backslashes, NUL and control characters,
 * percent-encoded dots, slashes, backslashes and NULs (a path is not URL-decoded, so an encoded one
 * is a trick, not a name). Refused once resolved: a path whose real location (symbolic links
 * followed) is outside the root's real location.
 */
final class RootPaths {

    /** {@code %2e}, {@code %2f}, {@code %5c}, {@code %00}, {@code %c0%ae} and other overlong encodings of them. */
    private static final Pattern ENCODED = Pattern.compile("%(2e|2f|5c|00|c0|c1|e0|f0|25)", Pattern.CASE_INSENSITIVE);

    private RootPaths() {
    }

    /** Why the text of {@code path} is refused, or null when it is not. */
    static @Nullable String refusal(String path) {
        if (path.isEmpty()) {
            return "must not be empty (use . for the root itself)";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "must not contain control characters or NUL";
            }
        }
        if (path.indexOf('\\') >= 0) {
            return "must not contain a backslash";
        }
        if (path.startsWith("/") || path.startsWith("~") || path.matches("^[A-Za-z]:.*")) {
            return "must be relative to its root, not absolute";
        }
        if (ENCODED.matcher(path).find()) {
            return "must not contain percent-encoded dots, slashes or NULs (paths are not URL-decoded)";
        }
        for (String segment : path.split("/")) {
            if (segment.equals("..")) {
                return "must not contain '..': a path stays under its root";
            }
        }
        return null;
    }

    /**
     * The real location of {@code path} under {@code root}, checked again against the tree as it is
     * now (a link may have changed since the job was submitted).
     *
     * @throws IOException naming why it cannot be read: missing, or outside the root
     */
    static Path resolve(Path root, String path) throws IOException {
        String refused = refusal(path);
        if (refused != null) {
            throw new IOException("path " + refused);
        }
        Path realRoot = root.toRealPath();
        Path named = realRoot.resolve(path).normalize();
        if (!named.startsWith(realRoot)) {
            throw new IOException("path leaves its root");
        }
        Path real;
        try {
            real = named.toRealPath();
        }
        catch (NoSuchFileException ex) {
            throw new NoSuchFileException("no such file or directory under the root: " + path);
        }
        if (!real.startsWith(realRoot)) {
            throw new IOException("path leads outside its root through a symbolic link");
        }
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("path is neither a directory nor a regular file");
        }
        return real;
    }

    /** {@code file} relative to {@code root}, with {@code /} between its names. */
    static String relative(Path root, Path file) {
        String relative = root.relativize(file).toString();
        return relative.isEmpty() ? "." : relative.replace(file.getFileSystem().getSeparator(), "/");
    }
}
