package dev.spindle.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.spindle.deploy.Command.Result;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

import org.springframework.boot.convert.DurationStyle;
import org.springframework.util.FileSystemUtils;

import static dev.spindle.deploy.Manifests.at;
import static dev.spindle.deploy.Manifests.list;
import static dev.spindle.deploy.Manifests.map;
import static dev.spindle.deploy.Manifests.named;
import static dev.spindle.deploy.Manifests.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Helm chart, linted and rendered by a real helm v3 (deploy/tools.sh fetches one; without
 * helm these tests are skipped), and the rendered manifests read back: probes, ports, security,
 * resources, the drain, and the database wiring of the embedded and the PostgreSQL setups.
 */
class HelmChartTests {

    static final String CHART = "helm/spindle";

    static final String POSTGRESQL_VALUES = "helm/examples/postgresql-3-replicas.yaml";

    static final String INVALID_VALUES = "helm/examples/invalid-embedded-3-replicas.yaml";

    static final Path helm = Command.tool("helm").orElse(null);

    @BeforeEach
    void needsHelm() {
        assumeTrue(helm != null, "no helm v3: set SPINDLE_HELM or -Dspindle.helm, or put helm on PATH "
                + "(deploy/tools.sh helm fetches one; .ci/run does)");
    }

    @Test
    void lintPassesForTheDefaultAndThePostgresqlValues() {
        for (List<String> values : List.of(List.<String>of(), List.of("-f", POSTGRESQL_VALUES))) {
            Result lint = helm("lint", "--strict", CHART).plus(values.toArray(String[]::new)).run();
            assertThat(lint.succeeded()).as(lint.describe()).isTrue();
            assertThat(lint.stdout()).contains("1 chart(s) linted, 0 chart(s) failed");
        }
    }

    @Test
    void defaultsRunOneReplicaOnTheEmbeddedStoreWithAPersistentVolume() {
        Manifests manifests = render();
        Map<String, Object> deployment = manifests.one("Deployment", "spindle");
        Map<String, Object> pod = map(deployment, "spec", "template", "spec");
        Map<String, Object> container = named(list(pod, "containers"), "spindle");

        assertThat(at(deployment, "spec", "replicas")).isEqualTo(1);
        assertThat(string(deployment, "spec", "strategy", "type")).as("the SQLite file takes one process at a time")
            .isEqualTo("Recreate");
        Map<String, Object> claim = manifests.one("PersistentVolumeClaim", "-data");
        assertThat(string(named(list(pod, "volumes"), "data"), "persistentVolumeClaim", "claimName"))
            .isEqualTo(string(claim, "metadata", "name"));
        assertThat(string(named(list(container, "volumeMounts"), "data"), "mountPath")).isEqualTo("/app/data");
        assertThat(list(container, "env")).extracting(env -> env.get("name")).doesNotContain("SPRING_DATASOURCE_URL");
        assertThat(manifests.ofKind("Secret")).isEmpty();
        assertThat(manifests.ofKind("HorizontalPodAutoscaler")).isEmpty();
        assertThat(manifests.ofKind("ServiceMonitor")).isEmpty();
    }

    @Test
    void probesUseTheHealthGroupsOnTheManagementPort() {
        Map<String, Object> container = container(render());

        assertThat(named(list(container, "ports"), "management").get("containerPort")).isEqualTo(8081);
        assertThat(string(container, "startupProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(string(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(string(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(string(container, probe, "httpGet", "port")).as(probe).isEqualTo("management");
            assertThat((Integer) at(container, probe, "periodSeconds")).as(probe).isPositive();
        }
        // the startup probe, not an initial delay, covers a slow start
        assertThat((Integer) at(container, "startupProbe", "periodSeconds")
                * (Integer) at(container, "startupProbe", "failureThreshold")).isGreaterThanOrEqualTo(120);
    }

    @Test
    void portsAgreeBetweenContainerServicesAndApplicationConfig() {
        Manifests manifests = render();
        Map<String, Object> container = container(manifests);
        Map<String, Object> config = applicationConfig(manifests);

        assertThat(named(list(container, "ports"), "http").get("containerPort")).isEqualTo(8080)
            .isEqualTo(at(config, "server", "port"));
        assertThat(named(list(container, "ports"), "resp").get("containerPort")).isEqualTo(7379)
            .isEqualTo(at(config, "spindle", "tcp", "port"));
        assertThat(named(list(container, "ports"), "management").get("containerPort")).isEqualTo(8081)
            .isEqualTo(at(config, "management", "server", "port"));

        List<Map<String, Object>> clientPorts = list(manifests.one("Service", "spindle"), "spec", "ports");
        assertThat(named(clientPorts, "http")).containsEntry("port", 8080).containsEntry("targetPort", "http");
        assertThat(named(clientPorts, "resp")).containsEntry("port", 7379).containsEntry("targetPort", "resp");
        assertThat(clientPorts).as("Actuator stays off the client Service").hasSize(2);
        assertThat(named(list(manifests.one("Service", "-management"), "spec", "ports"), "management"))
            .containsEntry("port", 8081).containsEntry("targetPort", "management");
    }

    @Test
    void runsAsNonRootOnAReadOnlyRootFilesystemWithAWritableTmp() {
        Manifests manifests = render();
        Map<String, Object> pod = map(manifests.one("Deployment", "spindle"), "spec", "template", "spec");
        Map<String, Object> container = container(manifests);

        assertThat(at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(at(pod, "securityContext", "runAsUser")).as("the image's user").isEqualTo(10001);
        assertThat(at(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(at(container, "securityContext", "capabilities", "drop")).isEqualTo(List.of("ALL"));
        assertThat(string(named(list(container, "volumeMounts"), "tmp"), "mountPath")).isEqualTo("/tmp");
        assertThat(map(named(list(pod, "volumes"), "tmp"), "emptyDir")).containsKey("sizeLimit");
        assertThat(at(pod, "enableServiceLinks")).as("no SPINDLE_* service variables").isEqualTo(false);
    }

    @Test
    void extraVolumesMountADirectoryForTheFilesJobs() {
        Manifests manifests = render("--set-json",
                "extraVolumes=[{\"name\": \"reports\", \"persistentVolumeClaim\": {\"claimName\": \"reports\", \"readOnly\": true}}]",
                "--set-json", "extraVolumeMounts=[{\"name\": \"reports\", \"mountPath\": \"/srv/reports\", \"readOnly\": true}]",
                "--set", "config.spindle.files.roots.reports=/srv/reports");
        Map<String, Object> pod = map(manifests.one("Deployment", "spindle"), "spec", "template", "spec");
        Map<String, Object> mount = named(list(container(manifests), "volumeMounts"), "reports");
        assertThat(mount).containsEntry("mountPath", "/srv/reports").containsEntry("readOnly", true);
        assertThat(map(named(list(pod, "volumes"), "reports"), "persistentVolumeClaim")).containsEntry("claimName", "reports");
        assertThat(named(list(pod, "volumes"), "tmp")).as("the chart's own stay").isNotNull();
        assertThat(at(applicationConfig(manifests), "spindle", "files", "roots", "reports")).isEqualTo("/srv/reports");
        assertThat(refusal("--set-json", "extraVolumeMounts=[{\"name\": \"reports\"}]")).contains("mountPath");
    }

    @Test
    void resourcesAreSet() {
        Map<String, Object> container = container(render());

        assertThat(map(container, "resources", "requests")).containsKeys("cpu", "memory");
        assertThat(map(container, "resources", "limits")).containsKey("memory");
    }

    @Test
    void terminationGraceCoversPreStopAndEveryDrain() {
        Manifests manifests = render();
        Map<String, Object> pod = map(manifests.one("Deployment", "spindle"), "spec", "template", "spec");
        Map<String, Object> config = applicationConfig(manifests);
        List<?> preStop = (List<?>) at(container(manifests), "lifecycle", "preStop", "exec", "command");

        assertThat(preStop.getFirst()).isEqualTo("sleep");
        long drain = Long.parseLong(preStop.get(1).toString())
                + seconds(at(config, "spring", "lifecycle", "timeout-per-shutdown-phase"))
                + seconds(at(config, "spindle", "tcp", "shutdown-grace"))
                + seconds(at(config, "spindle", "pool", "shutdown-grace"));
        assertThat(((Integer) at(pod, "terminationGracePeriodSeconds")).longValue()).isGreaterThan(drain);
    }

    @Test
    void postgresqlValuesRunThreeReplicasWithCredentialsFromTheExistingSecret() {
        Manifests manifests = render("-f", POSTGRESQL_VALUES);
        Map<String, Object> deployment = manifests.one("Deployment", "spindle");
        Map<String, Object> container = container(manifests);
        List<Map<String, Object>> env = list(container, "env");

        assertThat(at(deployment, "spec", "replicas")).isEqualTo(3);
        assertThat(string(deployment, "spec", "strategy", "type")).isEqualTo("RollingUpdate");
        assertThat(string(named(env, "SPRING_DATASOURCE_URL"), "value"))
            .isEqualTo("jdbc:postgresql://postgres.databases.svc:5432/spindle");
        assertThat(map(named(env, "SPRING_DATASOURCE_USERNAME"), "valueFrom", "secretKeyRef"))
            .containsEntry("name", "spindle-db").containsEntry("key", "username");
        assertThat(map(named(env, "SPRING_DATASOURCE_PASSWORD"), "valueFrom", "secretKeyRef"))
            .containsEntry("name", "spindle-db").containsEntry("key", "password");
        assertThat(manifests.ofKind("Secret")).as("the existing secret is used, none made").isEmpty();
        assertThat(manifests.ofKind("PersistentVolumeClaim")).isEmpty();
        assertThat(list(container, "volumeMounts")).extracting(mount -> mount.get("name")).doesNotContain("data");
        assertThat(at(manifests.one("PodDisruptionBudget", ""), "spec", "minAvailable")).isEqualTo(2);
        assertThat(at(applicationConfig(manifests), "spindle", "pool", "concurrency")).isEqualTo(128);
    }

    @Test
    void postgresqlPasswordGoesIntoTheChartsSecret() {
        Manifests manifests = render("--set", "store.type=postgresql", "--set", "replicaCount=2",
                "--set", "store.postgresql.url=jdbc:postgresql://db:5432/spindle",
                "--set", "store.postgresql.password=s3cret");
        Map<String, Object> secret = manifests.one("Secret", "-database");
        List<Map<String, Object>> env = list(container(manifests), "env");

        assertThat(new String(Base64.getDecoder().decode(string(secret, "data", "password")))).isEqualTo("s3cret");
        assertThat(new String(Base64.getDecoder().decode(string(secret, "data", "username")))).isEqualTo("spindle");
        assertThat(string(named(env, "SPRING_DATASOURCE_PASSWORD"), "valueFrom", "secretKeyRef", "name"))
            .isEqualTo(string(secret, "metadata", "name"));
        assertThat(env).allSatisfy(variable -> assertThat(variable.toString()).doesNotContain("s3cret"));
    }

    @Test
    void autoscalingLeavesReplicasToTheAutoscaler() {
        Manifests manifests = render("-f", POSTGRESQL_VALUES, "--set", "autoscaling.enabled=true");

        assertThat(map(manifests.one("Deployment", "spindle"), "spec")).doesNotContainKey("replicas");
        assertThat(string(manifests.one("HorizontalPodAutoscaler", ""), "spec", "scaleTargetRef", "name"))
            .isEqualTo(string(manifests.one("Deployment", "spindle"), "metadata", "name"));
    }

    @Test
    void serviceMonitorScrapesTheManagementServiceAndTheDashboardIsTheChartsFile() throws Exception {
        Manifests manifests = render("-f", POSTGRESQL_VALUES);
        Map<String, Object> monitor = manifests.one("ServiceMonitor", "");
        Map<String, Object> management = manifests.one("Service", "-management");

        assertThat(list(monitor, "spec", "endpoints")).singleElement()
            .satisfies(endpoint -> assertThat(endpoint).containsEntry("port", "management")
                .containsEntry("path", "/actuator/prometheus"));
        assertThat(map(management, "metadata", "labels")).containsAllEntriesOf(map(monitor, "spec", "selector", "matchLabels"));
        assertThat(map(manifests.one("Service", "spindle"), "metadata", "labels"))
            .as("only the management Service is scraped").doesNotContainKey("app.kubernetes.io/component");
        Map<String, Object> dashboard = manifests.one("ConfigMap", "-dashboard");
        assertThat(map(dashboard, "metadata", "labels")).containsEntry("grafana_dashboard", "1");
        assertThat(string(dashboard, "data", "spindle.json").strip())
            .isEqualTo(Files.readString(DashboardTests.DASHBOARD).strip());
    }

    static final String CI_KEY = "ci-key-0123456789abcdef0123456789abcdef";

    static final String PROMETHEUS_KEY = "prom-key-fedcba9876543210fedcba9876543210";

    static final String API_KEYS = """
            {"ci": {"roles": ["submit", "read"], "key": "%s"},
             "prometheus": {"roles": ["admin"], "key": "%s"},
             "hashed": {"roles": ["read"], "sha256": "%s"}}""".formatted(CI_KEY, PROMETHEUS_KEY, "ab".repeat(32));

    @Test
    void defaultsRunInProtectedModeWithTheProbesUntouched() {
        Manifests manifests = render();
        Map<String, Object> config = applicationConfig(manifests);

        assertThat(at(config, "spindle", "security", "protected-mode")).isEqualTo(true);
        assertThat(map(config, "spindle", "security")).doesNotContainKey("api-keys");
        assertThat(at(config, "spring", "security")).as("no JWT issuer").isNull();
        assertThat(list(container(manifests), "env")).extracting(env -> env.get("name").toString())
            .noneMatch(name -> name.startsWith("SPINDLE_SECURITY_"));
        // the kubelet sends no credentials: its probes go to the two groups that always stay open
        assertThat(string(container(manifests), "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
        assertThat(string(container(manifests), "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
    }

    @Test
    void apiKeysFromValuesGoIntoTheChartsSecretAndReachThePodAsEnvironmentVariables() {
        Result result = helm("template", "spindle", CHART, "--namespace", "jobs", "--set-json", "security.apiKeys=" + API_KEYS)
            .run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        Manifests manifests = Manifests.parse(result.stdout());
        Map<String, Object> secret = manifests.one("Secret", "-api-keys");
        List<Map<String, Object>> env = list(container(manifests), "env");
        Map<String, Object> config = applicationConfig(manifests);

        assertThat(map(secret, "data")).as("one entry per key given in clear").containsOnlyKeys("ci", "prometheus");
        assertThat(decoded(secret, "ci")).isEqualTo(CI_KEY);
        assertThat(decoded(secret, "prometheus")).isEqualTo(PROMETHEUS_KEY);
        for (String name : List.of("ci", "prometheus")) {
            assertThat(map(named(env, "SPINDLE_SECURITY_APIKEYS_" + name.toUpperCase() + "_KEY"), "valueFrom", "secretKeyRef"))
                .containsEntry("name", string(secret, "metadata", "name")).containsEntry("key", name);
        }
        assertThat(env).extracting(variable -> variable.get("name")).as("a hashed key needs no Secret")
            .doesNotContain("SPINDLE_SECURITY_APIKEYS_HASHED_KEY");
        assertThat(at(config, "spindle", "security", "api-keys", "ci", "roles")).isEqualTo(List.of("submit", "read"));
        assertThat(at(config, "spindle", "security", "api-keys", "prometheus", "roles")).isEqualTo(List.of("admin"));
        assertThat(map(config, "spindle", "security", "api-keys", "ci")).doesNotContainKey("key");
        assertThat(at(config, "spindle", "security", "api-keys", "hashed", "sha256")).isEqualTo("ab".repeat(32));

        // nowhere but in the Secret, in clear or in base64
        String outsideTheSecret = manifests.documents().stream().filter(document -> document != secret)
            .map(Object::toString).collect(Collectors.joining("\n"));
        for (String key : List.of(CI_KEY, PROMETHEUS_KEY)) {
            String base64 = Base64.getEncoder().encodeToString(key.getBytes());
            assertThat(outsideTheSecret).doesNotContain(key).doesNotContain(base64);
            assertThat(result.stdout()).containsOnlyOnce(base64).doesNotContain(key);
        }
    }

    @Test
    void existingSecretMakesNoSecretAndIsReferenced() {
        Manifests manifests = render("--set", "security.existingSecret=team-keys", "--set-json",
                "security.apiKeys={\"ci\": {\"roles\": [\"submit\"]}, \"ops\": {\"roles\": [\"operate\", \"read\"]}}");
        List<Map<String, Object>> env = list(container(manifests), "env");

        assertThat(manifests.ofKind("Secret")).isEmpty();
        assertThat(map(named(env, "SPINDLE_SECURITY_APIKEYS_CI_KEY"), "valueFrom", "secretKeyRef"))
            .containsEntry("name", "team-keys").containsEntry("key", "ci");
        assertThat(map(named(env, "SPINDLE_SECURITY_APIKEYS_OPS_KEY"), "valueFrom", "secretKeyRef"))
            .containsEntry("name", "team-keys").containsEntry("key", "ops");
        assertThat(at(applicationConfig(manifests), "spindle", "security", "api-keys", "ops", "roles"))
            .isEqualTo(List.of("operate", "read"));
    }

    @Test
    void jwtSettingsGoToSpringBootsResourceServerProperties() {
        Map<String, Object> config = applicationConfig(render("--set", "security.jwt.issuerUri=https://id.example.com/realms/jobs",
                "--set", "security.jwt.jwkSetUri=https://id.example.com/realms/jobs/certs", "--set", "security.jwt.scopePrefix=jobs."));

        assertThat(map(config, "spring", "security", "oauth2", "resourceserver", "jwt"))
            .containsEntry("issuer-uri", "https://id.example.com/realms/jobs")
            .containsEntry("jwk-set-uri", "https://id.example.com/realms/jobs/certs");
        assertThat(at(config, "spindle", "security", "jwt", "scope-prefix")).isEqualTo("jobs.");
        assertThat(at(config, "spring", "lifecycle", "timeout-per-shutdown-phase")).as("the chart's own stay").isNotNull();
    }

    @Test
    void serviceMonitorAuthenticatesWithTheNamedAdminKey() {
        Manifests manifests = render("--set-json", "security.apiKeys=" + API_KEYS,
                "--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.serviceMonitor.apiKeyName=prometheus");
        Map<String, Object> endpoint = list(manifests.one("ServiceMonitor", ""), "spec", "endpoints").getFirst();

        assertThat(string(endpoint, "authorization", "type")).isEqualTo("Bearer");
        assertThat(map(endpoint, "authorization", "credentials"))
            .containsEntry("name", string(manifests.one("Secret", "-api-keys"), "metadata", "name"))
            .containsEntry("key", "prometheus");

        Map<String, Object> existing = list(render("-f", POSTGRESQL_VALUES).one("ServiceMonitor", ""), "spec", "endpoints").getFirst();
        assertThat(map(existing, "authorization", "credentials")).containsEntry("name", "spindle-api-keys")
            .containsEntry("key", "prometheus");

        assertThat(refusal("--set", "metrics.serviceMonitor.enabled=true")).as("protected mode refuses Prometheus")
            .contains("metrics.serviceMonitor.enabled needs metrics.serviceMonitor.apiKeyName");
        assertThat(refusal("--set-json", "security.apiKeys=" + API_KEYS, "--set", "metrics.serviceMonitor.enabled=true",
                "--set", "metrics.serviceMonitor.apiKeyName=ci")).contains("needs the admin role");
        assertThat(refusal("--set-json", "security.apiKeys=" + API_KEYS, "--set", "metrics.serviceMonitor.enabled=true",
                "--set", "metrics.serviceMonitor.apiKeyName=nobody")).contains("apiKeyName=nobody names no key");
        assertThat(render("--set", "security.protectedMode=false", "--set", "metrics.serviceMonitor.enabled=true")
            .ofKind("ServiceMonitor")).as("open to everyone: nothing to send").singleElement()
            .satisfies(monitor -> assertThat(list(monitor, "spec", "endpoints").getFirst()).doesNotContainKey("authorization"));
    }

    @Test
    void schemaRefusesKeyNamesThatCannotBeEnvironmentVariablesAndBadKeys() {
        // SPINDLE_SECURITY_APIKEYS_MY-KEY_KEY cannot be bound: names are lowercase letters and digits
        assertThat(refusal("--set-json", "security.apiKeys={\"my-key\": {\"roles\": [\"read\"], \"key\": \"" + CI_KEY + "\"}}"))
            .contains("my-key", "^[a-z0-9]+$");
        assertThat(refusal("--set-json", "security.apiKeys={\"CI\": {\"roles\": [\"read\"], \"key\": \"" + CI_KEY + "\"}}"))
            .contains("CI");
        assertThat(refusal("--set-json", "security.apiKeys={\"ci\": {\"roles\": [\"read\"], \"key\": \"short\"}}"))
            .contains("security.apiKeys.ci.key");
        assertThat(refusal("--set-json", "security.apiKeys={\"ci\": {\"roles\": [\"root\"], \"key\": \"" + CI_KEY + "\"}}"))
            .contains("security.apiKeys.ci.roles");
        assertThat(refusal("--set-json", "security.apiKeys={\"ci\": {\"roles\": [], \"key\": \"" + CI_KEY + "\"}}"))
            .contains("security.apiKeys.ci.roles");
        assertThat(refusal("--set-json", "security.apiKeys={\"ci\": {\"roles\": [\"read\"], \"sha256\": \"abc\"}}"))
            .contains("security.apiKeys.ci.sha256");
        // and what the schema cannot see
        assertThat(refusal("--set-json", "security.apiKeys={\"ci\": {\"roles\": [\"read\"]}}"))
            .contains("security.apiKeys.ci needs its key");
        assertThat(refusal("--set", "security.existingSecret=team-keys", "--set-json",
                "security.apiKeys={\"ci\": {\"roles\": [\"read\"], \"key\": \"" + CI_KEY + "\"}}"))
            .contains("security.apiKeys.ci.key is given in clear", "security.existingSecret=team-keys");
        assertThat(refusal("--set", "security.existingSecret=team-keys")).contains("security.apiKeys names no key");
        assertThat(refusal("--set", "config.spindle.security.api-keys.ci.key=" + CI_KEY))
            .contains("set security.apiKeys instead").doesNotContain(CI_KEY);
        assertThat(refusal("--set", "config.spindle.security.protected-mode=false")).contains("set security.protectedMode instead");
    }

    @Test
    void embeddedStoreWithThreeReplicasIsRefused() {
        Result result = helm("template", "spindle", CHART, "-f", INVALID_VALUES).run();

        assertThat(result.succeeded()).isFalse();
        assertThat(result.stderr()).contains("store.type=embedded", "replicaCount=1 only (got 3)",
                "set store.type=postgresql");
        // helm lint reports a template's fail() only as [INFO] and passes (Helm's choice, so that
        // charts with required values lint); install, upgrade and template refuse
        Result lint = helm("lint", CHART, "-f", INVALID_VALUES).run();
        assertThat(lint.stdout() + lint.stderr()).contains("replicaCount=1 only (got 3)");
    }

    @Test
    void otherImpossibleValuesAreRefusedWithAReason() {
        assertThat(refusal("--set", "autoscaling.enabled=true")).contains("autoscaling.enabled=true needs store.type=postgresql");
        assertThat(refusal("--set", "store.type=postgresql")).contains("store.type=postgresql needs store.postgresql.url");
        assertThat(refusal("--set", "terminationGracePeriodSeconds=20")).contains("shorter than the drain");
        assertThat(refusal("--set", "store.type=postgresql", "--set", "store.postgresql.url=jdbc:postgresql://db/spindle",
                "--set", "autoscaling.enabled=true", "--set", "autoscaling.minReplicas=5", "--set",
                "autoscaling.maxReplicas=3")).contains("autoscaling.minReplicas=5 is above autoscaling.maxReplicas=3");
        assertThat(refusal("--set", "config.spindle.pool.shutdown-grace=60s"))
            .contains("config.spindle.pool.shutdown-grace is set by the chart", "set shutdown.poolGraceSeconds instead");
        assertThat(refusal("--set", "config.server.port=9090")).contains("set ports.http instead");
        assertThat(refusal("--set", "store.type=mysql")).as("the schema").contains("store", "type");
        assertThat(refusal("--set", "replicaCount=0")).as("the schema").contains("replicaCount");
        assertThat(refusal("--set", "unknownValue=1")).as("the schema refuses typos").contains("unknownValue");
    }

    @Test
    void notesShowCurlAndRedisCliForTheRelease(@TempDir Path copy) throws Exception {
        // helm template does not render NOTES.txt, and install needs a cluster: render it as a
        // ConfigMap in a copy of the chart
        Path chart = copy.resolve("spindle");
        FileSystemUtils.copyRecursively(Path.of(CHART), chart);
        Files.copy(chart.resolve("templates/NOTES.txt"), chart.resolve("notes.txt"));
        Files.writeString(chart.resolve("templates/notes-check.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: notes
                data:
                  notes: |
                    {{- tpl (.Files.Get "notes.txt") . | nindent 4 }}
                """);
        Result result = helm("template", "spindle", chart.toString(), "--namespace", "jobs",
                "--show-only", "templates/notes-check.yaml").run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();

        String notes = string(Manifests.parse(result.stdout()).one("ConfigMap", "notes"), "data", "notes");
        assertThat(notes).contains("kubectl -n jobs port-forward service/spindle 8080:8080 7379:7379",
                "service/spindle-management 8081:8081", "curl -s -X POST localhost:8080/api/v1/jobs",
                "redis-cli -p 7379 SUBMIT", "localhost:8081/actuator/health/readiness",
                "embedded SQLite file on the claim spindle-data");
        assertThat(notes).as("no keys, no JWT").contains("Protected mode", "only the kubelet probes");

        result = helm("template", "spindle", chart.toString(), "--namespace", "jobs",
                "--show-only", "templates/notes-check.yaml", "--set-json", "security.apiKeys=" + API_KEYS).run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        notes = string(Manifests.parse(result.stdout()).one("ConfigMap", "notes"), "data", "notes");
        assertThat(notes).doesNotContain("Protected mode").doesNotContain(PROMETHEUS_KEY)
            .contains("kubectl -n jobs get secret spindle-api-keys -o jsonpath='{.data.prometheus}' | base64 -d",
                    "curl -s -X POST localhost:8080/api/v1/jobs -H \"Authorization: Bearer $KEY\"",
                    "redis-cli -p 7379 -a \"$KEY\" --no-auth-warning SUBMIT",
                    "curl -s -H \"Authorization: Bearer $KEY\" localhost:8081/actuator/prometheus");
    }

    private String refusal(String... arguments) {
        Result result = helm("template", "spindle", CHART).plus(arguments).run();
        assertThat(result.succeeded()).as(String.join(" ", arguments) + " must be refused").isFalse();
        return result.stderr();
    }

    private static Manifests render(String... arguments) {
        Result result = helm("template", "spindle", CHART, "--namespace", "jobs").plus(arguments).run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        return Manifests.parse(result.stdout());
    }

    private static Map<String, Object> container(Manifests manifests) {
        return named(list(manifests.one("Deployment", "spindle"), "spec", "template", "spec", "containers"), "spindle");
    }

    /** The application.yaml the ConfigMap holds, where SPRING_CONFIG_ADDITIONAL_LOCATION points. */
    private static Map<String, Object> applicationConfig(Manifests manifests) {
        Map<String, Object> container = container(manifests);
        String location = string(named(list(container, "env"), "SPRING_CONFIG_ADDITIONAL_LOCATION"), "value");
        assertThat(location).isEqualTo(string(named(list(container, "volumeMounts"), "config"), "mountPath") + "/");
        return new Yaml().load(string(manifests.one("ConfigMap", "spindle"), "data", "application.yaml"));
    }

    private static String decoded(Map<String, Object> secret, String key) {
        return new String(Base64.getDecoder().decode(string(secret, "data", key)));
    }

    private static long seconds(Object duration) {
        return DurationStyle.detectAndParse(duration.toString()).toSeconds();
    }

    private static Command helm(String... arguments) {
        return new Command(List.of(helm.toString()), Map.of(), Duration.ofMinutes(1)).plus(arguments);
    }
}
