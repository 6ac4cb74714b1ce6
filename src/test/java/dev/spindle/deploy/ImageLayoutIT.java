package dev.spindle.deploy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.spindle.deploy.Command.Result;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The container image's steps without Docker: deploy/check-image-layout.sh extracts the packaged
 * jar with the Dockerfile's command and layers, trains the AOT cache and starts Spindle through
 * the image's entrypoint, then checks readiness, a job, the drain at SIGTERM and that nothing was
 * written outside data/.
 */
class ImageLayoutIT {

    @Test
    void packagedJarStartsServesAndStopsFromTheImageLayout() {
        assumeTrue(Command.tool("bash").isPresent() && Command.tool("curl").isPresent(),
                "deploy/check-image-layout.sh needs bash and curl on PATH");
        String jar = System.getProperty("spindle.jar");
        assertThat(jar).as("the packaged jar (run through ./mvnw verify)").isNotNull();
        assertThat(Path.of(jar)).exists();
        // the JDK running the tests is the JDK 25 the build uses; the script's java is that one
        String javaHome = Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent().toString();

        Result result = Command.of("bash", "deploy/check-image-layout.sh", jar)
            .withEnvironment(Map.of("JAVA_HOME", javaHome))
            .withTimeout(Duration.ofMinutes(4))
            .run();

        System.out.println(result.stdout());
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        assertThat(result.stdout()).contains("readiness UP after", "SUCCEEDED", "wrote only under data/",
                "OK: the image layout starts, serves and stops");
    }
}
