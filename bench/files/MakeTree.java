import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * The benchmark's tree, as the tests make it: java bench/files/MakeTree.java DIR [FILES] [LARGE_MB]
 * (10,000 files of up to 40 short lines in nested directories, some empty, and one large file).
 */
public class MakeTree {

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int files = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        long large = (args.length > 2 ? Long.parseLong(args[2]) : 100) << 20;
        Random random = new Random(42);
        String[] words = { "alpha", "beta", "gamma", "needle7", "delta", "epsilon", "needle42", "zeta" };
        for (int i = 0; i < files; i++) {
            Path file = root.resolve("d" + (i % 20) + "/sub " + (i % 7) + "/n" + (i % 50)).resolve("file " + i + ".txt");
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
                text.append('\n');
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        }
        Path big = root.resolve("big/large file.bin");
        Files.createDirectories(big.getParent());
        byte[] block = new byte[1 << 20];
        random.nextBytes(block);
        try (OutputStream out = Files.newOutputStream(big)) {
            for (long written = 0; written < large; written += block.length) {
                out.write(block, 0, (int) Math.min(block.length, large - written));
            }
        }
    }
}
