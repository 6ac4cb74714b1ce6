package dev.spindle.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.spindle.deploy.Command.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import static dev.spindle.deploy.Manifests.at;
import static dev.spindle.deploy.Manifests.list;
import static dev.spindle.deploy.Manifests.map;
import static dev.spindle.deploy.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docker-compose.yml as a real compose parser reads it ({@code docker-compose config}, which needs
 * no Docker engine; skipped without docker-compose): the four services, PostgreSQL's health
 * check that Spindle waits for, Prometheus scraping the management port with the API key that
 * Spindle is given (one git-ignored file, no default key), Grafana provisioned with the chart's
 * dashboard file.
 */
class ComposeFileTests {

    static final Path dockerCompose = Command.tool("docker-compose").orElse(null);

    @BeforeEach
    void needsDockerCompose() {
        assumeTrue(dockerCompose != null, "no docker-compose: set SPINDLE_DOCKER_COMPOSE or put it on PATH "
                + "(deploy/tools.sh docker-compose installs Debian's; .ci/run does)");
    }

    @Test
    void spindleWaitsForAHealthyPostgresql() {
        Map<String, Object> services = services();

        assertThat(services).containsOnlyKeys("spindle", "postgres", "prometheus", "grafana");
        Map<String, Object> postgres = map(services, "postgres");
        assertThat(at(postgres, "healthcheck", "test").toString()).contains("pg_isready");
        Map<String, Object> spindle = map(services, "spindle");
        assertThat(string(spindle, "depends_on", "postgres", "condition")).isEqualTo("service_healthy");
        Map<String, Object> environment = map(spindle, "environment");
        assertThat(environment.get("SPRING_DATASOURCE_URL").toString()).startsWith("jdbc:postgresql://postgres:5432/");
        assertThat(environment.get("SPRING_DATASOURCE_USERNAME"))
            .isEqualTo(at(postgres, "environment", "POSTGRES_USER"));
        assertThat(environment.get("SPRING_DATASOURCE_PASSWORD"))
            .isEqualTo(at(postgres, "environment", "POSTGRES_PASSWORD"));
        assertThat(environment.get("SPRING_DATASOURCE_URL").toString())
            .endsWith("/" + at(postgres, "environment", "POSTGRES_DB"));
    }

    @Test
    void spindleIsBuiltHerePublishesItsThreePortsAndChecksReadiness() {
        Map<String, Object> spindle = map(services(), "spindle");

        assertThat(Path.of(string(spindle, "build", "context"), "Dockerfile")).exists();
        assertThat(list(spindle, "ports")).extracting(port -> port.get("target")).containsExactlyInAnyOrder(8080, 7379, 8081);
        assertThat(at(spindle, "healthcheck", "test").toString()).contains("/actuator/health/readiness");
        assertThat(at(spindle, "read_only")).isEqualTo(true);
    }

    @Test
    void prometheusScrapesTheManagementPort() throws Exception {
        Map<String, Object> prometheus = map(services(), "prometheus");
        Path config = Path.of(bindSource(prometheus, "/etc/prometheus/prometheus.yml"));

        Map<String, Object> scrape = list(new Yaml().<Map<String, Object>>load(Files.readString(config)), "scrape_configs")
            .getFirst();
        assertThat(scrape).containsEntry("metrics_path", "/actuator/prometheus");
        assertThat(at(scrape, "static_configs", 0, "targets")).isEqualTo(List.of("spindle:8081"));
    }

    /** Where docker-compose.yml's header tells you to write the key, relative to the repository. */
    static final String KEY_FILE = "deploy/compose/spindle-api-key";

    @Test
    void spindleAndPrometheusReadTheSameApiKeyFileAndNoKeyIsInTheComposeFile() throws Exception {
        Map<String, Object> config = config(Map.of("SPINDLE_API_KEY_FILE", ""));
        Map<String, Object> spindle = map(config, "services", "spindle");
        Map<String, Object> prometheus = map(config, "services", "prometheus");

        // one secret, from the file the header says to make, and no key with a default anywhere
        assertThat(map(config, "secrets")).containsOnlyKeys("spindle_api_key");
        assertThat(Path.of(string(config, "secrets", "spindle_api_key", "file")))
            .isEqualTo(Command.ROOT.resolve(KEY_FILE));
        assertThat(Files.readString(Path.of("docker-compose.yml")))
            .contains("openssl rand -hex 32 > " + KEY_FILE, "KEY=$(cat " + KEY_FILE + ")");
        assertThat(Files.readAllLines(Path.of(".gitignore"))).as("the key stays out of Git").contains(KEY_FILE);
        assertThat(Files.readString(Path.of(".dockerignore"))).as("and out of the build context")
            .doesNotContain("!deploy/compose");

        // Spindle: the secret's file name is the property (Spring Boot's configuration tree), the
        // roles come from the environment, and the key is nowhere in the environment
        Map<String, Object> environment = map(spindle, "environment");
        assertThat(secretTarget(spindle, "spindle_api_key")).isEqualTo("spindle.security.api-keys.admin.key");
        assertThat(environment.get("SPRING_CONFIG_IMPORT").toString()).contains("configtree:/run/secrets/");
        assertThat(environment).containsEntry("SPINDLE_SECURITY_APIKEYS_ADMIN_ROLES", "admin");
        assertThat(environment.keySet()).noneMatch(name -> name.endsWith("_KEY") || name.endsWith("_SHA256"));

        // Prometheus: the same secret, sent as a bearer token (it expands no variables in its config)
        String target = secretTarget(prometheus, "spindle_api_key");
        Path prometheusConfig = Path.of(bindSource(prometheus, "/etc/prometheus/prometheus.yml"));
        Map<String, Object> scrape = list(load(prometheusConfig), "scrape_configs").getFirst();
        assertThat(map(scrape, "authorization")).containsEntry("type", "Bearer")
            .containsEntry("credentials_file", target.startsWith("/") ? target : "/run/secrets/" + target);
    }

    @Test
    void theKeyFileCanBeNamedFromTheEnvironment() {
        Map<String, Object> config = config(Map.of("SPINDLE_API_KEY_FILE", "/srv/secrets/spindle-admin-key"));

        assertThat(string(config, "secrets", "spindle_api_key", "file")).isEqualTo("/srv/secrets/spindle-admin-key");
    }

    @Test
    void grafanaLoadsTheChartsDashboardFileAndThePrometheusDataSource() throws Exception {
        Map<String, Object> grafana = map(services(), "grafana");
        Path dashboards = Path.of(bindSource(grafana, "/var/lib/grafana/dashboards/spindle"));
        Path provisioning = Path.of(bindSource(grafana, "/etc/grafana/provisioning"));

        assertThat(dashboards.resolve("spindle.json")).as("the one dashboard file, in the chart")
            .isEqualTo(DashboardTests.DASHBOARD.toAbsolutePath());
        assertThat(dashboards.resolve("spindle.json")).isRegularFile();
        Map<String, Object> provider = list(load(provisioning.resolve("dashboards/spindle.yml")), "providers").getFirst();
        assertThat(string(provider, "options", "path")).isEqualTo("/var/lib/grafana/dashboards/spindle");
        Map<String, Object> source = list(load(provisioning.resolve("datasources/prometheus.yml")), "datasources").getFirst();
        assertThat(source).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
    }

    private static Map<String, Object> services() {
        return map(config(Map.of()), "services");
    }

    /** The whole file as docker-compose config resolves it, with these environment variables. */
    private static Map<String, Object> config(Map<String, String> environment) {
        Result result = new Command(List.of(dockerCompose.toString(), "-f", "docker-compose.yml", "config"),
                environment, java.time.Duration.ofMinutes(1)).run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        return new Yaml().load(result.stdout());
    }

    /** Where a service gets a secret (the long syntax's target, else the secret's own name). */
    private static String secretTarget(Map<String, Object> service, String secret) {
        @SuppressWarnings("unchecked")
        List<Object> secrets = (List<Object>) at(service, "secrets");
        assertThat(secrets).as("secrets of the service").isNotNull();
        for (Object entry : secrets) {
            if (entry instanceof Map<?, ?> map && secret.equals(map.get("source"))) {
                return map.get("target") == null ? secret : map.get("target").toString();
            }
            if (secret.equals(entry)) {
                return secret;
            }
        }
        throw new AssertionError("no secret " + secret + " in " + secrets);
    }

    /**
     * The host path a service mounts at a container path (compose config makes it absolute;
     * docker-compose 1 writes short "source:target:mode" strings, Compose 2 long maps).
     */
    private static String bindSource(Map<String, Object> service, String target) {
        @SuppressWarnings("unchecked")
        List<Object> volumes = (List<Object>) at(service, "volumes");
        for (Object volume : volumes) {
            if (volume instanceof Map<?, ?> map && target.equals(map.get("target"))) {
                return map.get("source").toString();
            }
            String[] parts = volume.toString().split(":");
            if (parts.length >= 2 && parts[1].equals(target)) {
                return parts[0];
            }
        }
        throw new AssertionError("nothing mounted at " + target + " in " + volumes);
    }

    private static Map<String, Object> load(Path file) throws Exception {
        return new Yaml().load(Files.readString(file));
    }
}
