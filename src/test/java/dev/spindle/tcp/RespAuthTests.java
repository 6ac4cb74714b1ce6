package dev.spindle.tcp;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.spindle.Api;
import dev.spindle.RespClient;
import dev.spindle.RespCommand;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * AUTH over RESP with API keys configured, through redis-cli (a real process), Jedis and a raw
 * socket: who a key authenticates as, what its roles let it run, and the refusals as Redis words them.
 * <p>
 * Failed authentications count per address, 3 per hour here: each test that fails some comes from
 * a loopback address of its own (127.0.0.x, bound by the client), so that none uses up another's
 * allowance. Intake is 10 submissions per hour per principal.
 */
@SpindleTest
@TestPropertySource(properties = {
        "spindle.security.api-keys.ci.key=" + RespAuthTests.CI, "spindle.security.api-keys.ci.roles=submit, read",
        "spindle.security.api-keys.ops.key=" + RespAuthTests.OPS, "spindle.security.api-keys.ops.roles=operate",
        "spindle.security.api-keys.admin.key=" + RespAuthTests.ADMIN, "spindle.security.api-keys.admin.roles=admin",
        "spindle.security.api-keys.tenant1.key=" + RespAuthTests.TENANT_1, "spindle.security.api-keys.tenant1.roles=submit",
        "spindle.security.api-keys.tenant2.key=" + RespAuthTests.TENANT_2, "spindle.security.api-keys.tenant2.roles=submit",
        "spindle.security.auth-failures.limit=3", "spindle.security.auth-failures.period=1h",
        "resilience4j.ratelimiter.configs.intake.limit-for-period=10",
        "resilience4j.ratelimiter.configs.intake.limit-refresh-period=1h" })
class RespAuthTests {

    static final String CI = "ci-key-0123456789abcdef";

    static final String OPS = "ops-key-0123456789abcdef";

    static final String ADMIN = "admin-key-0123456789abcdef";

    static final String TENANT_1 = "tenant1-key-0123456789abcdef";

    static final String TENANT_2 = "tenant2-key-0123456789abcdef";

    static final String WRONG = "wrong-key-0123456789abcdef";

    private static final String NOOP = "{\"type\":\"noop\"}";

    private static final String DELAYED = "{\"type\":\"noop\",\"delay\":\"PT1H\"}";

    @Autowired
    RespServer server;

    @Autowired
    JdbcClient jdbc;

    @LocalServerPort
    int httpPort;

    @TempDir
    Path temp;

    // --- redis-cli ------------------------------------------------------------------------------

    @Test
    void redisCliWithAKeySubmitsAsTheKeysName() throws Exception {
        CliRun submitted = redisCli("-a", CI, "SUBMIT", NOOP);

        assertThat(submitted.exit()).as(submitted.toString()).isZero();
        String id = submitted.out().strip();
        assertThat(id).matches("[0-9a-f-]{36}");
        CliRun got = redisCli("-a", CI, "WAIT", id, "10000");
        assertThat(Api.parse(got.out()).path("submittedBy").asString()).isEqualTo("ci");
        assertThat(new Api(httpPort).getWithHeaders("/api/v1/jobs/" + id, "X-API-Key", ADMIN).body()
            .path("submittedBy").asString()).isEqualTo("ci");
    }

    @Test
    void redisCliWithUserAndPassAuthenticatesAsThatKey() throws Exception {
        CliRun submitted = redisCli("--user", "ci", "--pass", CI, "SUBMIT", NOOP);

        assertThat(submitted.exit()).as(submitted.toString()).isZero();
        String id = submitted.out().strip();
        assertThat(Api.parse(redisCli("--user", "ci", "--pass", CI, "GET", id).out()).path("submittedBy").asString())
            .isEqualTo("ci");
    }

    @Test
    void redisCliWithoutAKeyIsToldToAuthenticate() throws Exception {
        long before = StoredJobs.count(jdbc);

        CliRun ping = redisCli("PING");
        CliRun submit = redisCli("SUBMIT", NOOP);

        assertThat(ping.out()).as(ping.toString()).contains("NOAUTH Authentication required.");
        assertThat(submit.out()).as(submit.toString()).contains("NOAUTH Authentication required.");
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
    }

    @Test
    void redisCliWithAWrongKeyFailsToAuthenticate() throws Exception {
        long before = StoredJobs.count(jdbc);

        // the only failed authentication from 127.0.0.1 (redis-cli cannot choose its address)
        CliRun run = redisCli("-a", WRONG, "SUBMIT", NOOP);

        // as against Redis: redis-cli reports the failed AUTH, sends the command all the same, and
        // prints its NOAUTH error; it exits 0 either way
        assertThat(run.err()).as(run.toString())
            .contains("AUTH failed: WRONGPASS invalid username-password pair or user is disabled.");
        assertThat(run.out()).as(run.toString()).contains("NOAUTH Authentication required.");
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
    }

    // --- Jedis ----------------------------------------------------------------------------------

    @Test
    void jedisWithAPasswordRunsCommandsAsTheKey() {
        try (Jedis jedis = jedis(null, DefaultJedisClientConfig.builder().password(CI))) {
            String id = text(jedis.sendCommand(RespCommand.SUBMIT, NOOP));
            JsonNode job = Api.parse(text(jedis.sendCommand(RespCommand.WAIT, id, "10000")));

            assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
            assertThat(job.path("submittedBy").asString()).isEqualTo("ci");
        }
        try (Jedis jedis = jedis(null, DefaultJedisClientConfig.builder().user("admin").password(ADMIN))) {
            assertThat(jedis.ping()).isEqualTo("PONG");
            assertThat(Api.parse(text(jedis.sendCommand(RespCommand.STATS))).isObject()).isTrue();
        }
    }

    @Test
    void jedisWithAWrongPasswordOrAnotherKeysNameIsRefused() {
        InetAddress from = loopback(2);

        assertThatThrownBy(() -> jedis(from, DefaultJedisClientConfig.builder().password(WRONG)).close())
            .isInstanceOf(JedisAccessControlException.class)
            .hasMessageStartingWith("WRONGPASS invalid username-password pair");
        // a right key under another key's name is no pair either
        assertThatThrownBy(() -> jedis(from, DefaultJedisClientConfig.builder().user("ops").password(CI)).close())
            .isInstanceOf(JedisAccessControlException.class)
            .hasMessageStartingWith("WRONGPASS");
        assertThatThrownBy(() -> jedis(from, DefaultJedisClientConfig.builder().user("nobody").password(CI)).close())
            .isInstanceOf(JedisAccessControlException.class)
            .hasMessageStartingWith("WRONGPASS");
    }

    @Test
    void aKeyWithoutTheRoleGetsNoperm() {
        String queued;
        try (Jedis ci = jedis(null, DefaultJedisClientConfig.builder().password(CI))) {
            queued = text(ci.sendCommand(RespCommand.SUBMIT, DELAYED));
            assertThatThrownBy(() -> ci.sendCommand(RespCommand.CANCEL, queued))
                .isInstanceOf(JedisAccessControlException.class)
                .hasMessage("NOPERM this key has no permission to run the 'cancel' command");
            // the connection stays usable
            assertThat(Api.parse(text(ci.sendCommand(RespCommand.GET, queued))).path("state").asString()).isEqualTo("QUEUED");
        }
        try (Jedis ops = jedis(null, DefaultJedisClientConfig.builder().password(OPS))) {
            assertThatThrownBy(() -> ops.sendCommand(RespCommand.SUBMIT, NOOP))
                .isInstanceOf(JedisAccessControlException.class)
                .hasMessage("NOPERM this key has no permission to run the 'submit' command");
            assertThatThrownBy(() -> ops.sendCommand(RespCommand.GET, queued))
                .isInstanceOf(JedisAccessControlException.class)
                .hasMessage("NOPERM this key has no permission to run the 'get' command");
            assertThat(ops.ping()).isEqualTo("PONG");
            assertThat(ops.sendCommand(RespCommand.CANCEL, queued)).isEqualTo(1L);
        }
        try (Jedis admin = jedis(null, DefaultJedisClientConfig.builder().password(ADMIN))) {
            String id = text(admin.sendCommand(RespCommand.SUBMIT, DELAYED));
            assertThat(Api.parse(text(admin.sendCommand(RespCommand.GET, queued))).path("state").asString())
                .isEqualTo("CANCELLED");
            assertThat(admin.sendCommand(RespCommand.CANCEL, id)).isEqualTo(1L);
        }
    }

    @Test
    void beforeAuthOnlyAuthAndQuitAreServed() throws IOException {
        long before = StoredJobs.count(jdbc);
        try (Jedis jedis = jedis(null, DefaultJedisClientConfig.builder())) {
            assertThatThrownBy(jedis::ping).isInstanceOf(JedisAccessControlException.class)
                .hasMessage("NOAUTH Authentication required.");
            assertThatThrownBy(() -> jedis.sendCommand(RespCommand.SUBMIT, NOOP)).isInstanceOf(JedisDataException.class)
                .hasMessage("NOAUTH Authentication required.");
            assertThat(text(jedis.sendCommand(RespCommand.QUIT))).isEqualTo("OK");
        }
        try (RespClient client = client(null)) {
            for (String command : List.of("GET", "WAIT", "CANCEL", "STATS", "WORKFLOW.SUBMIT", "SCHEDULE.LIST", "OUTPUT", "LOG")) {
                assertThat(client.call(args(command, "x"))).as(command).isEqualTo("-NOAUTH Authentication required.");
            }
            assertThat(client.call(args("AUTH", CI))).isEqualTo("+OK");
            assertThat(client.call(args("PING"))).isEqualTo("+PONG");
            assertThat(client.call(args("QUIT"))).isEqualTo("+OK");
            assertThatThrownBy(() -> client.call(args("PING"))).isInstanceOf(IOException.class);
        }
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
    }

    // --- raw socket -----------------------------------------------------------------------------

    @Test
    void authWithTooFewOrTooManyArgumentsIsAnArityError() throws IOException {
        try (RespClient client = client(loopback(3))) {
            assertThat(client.call(args("AUTH"))).isEqualTo("-ERR wrong number of arguments for 'auth' command");
            assertThat(client.call(args("AUTH", "ci", CI, "more"))).isEqualTo("-ERR wrong number of arguments for 'auth' command");
            assertThat(client.call(args("auth", "ci", CI))).isEqualTo("+OK");
        }
    }

    @Test
    void aFailedAuthLeavesAnAuthenticatedConnectionAsItWas() throws IOException {
        try (RespClient client = client(loopback(5))) {
            assertThat(client.call(args("AUTH", OPS))).isEqualTo("+OK");
            assertThat(client.call(args("AUTH", WRONG))).startsWith("-WRONGPASS");
            assertThat(client.call(args("SUBMIT", NOOP))).isEqualTo("-NOPERM this key has no permission to run the 'submit' command");
            // a new AUTH replaces who the connection is
            assertThat(client.call(args("AUTH", "ci", CI))).isEqualTo("+OK");
            assertThat(client.call(args("SUBMIT", NOOP))).startsWith("$36");
        }
    }

    @Test
    void anAddressThatFailedTooOftenIsRefusedEvenWithTheRightKey() throws IOException {
        InetAddress from = loopback(4);
        try (RespClient client = client(from)) {
            for (int i = 0; i < 3; i++) {
                assertThat(client.call(args("AUTH", WRONG + i))).startsWith("-WRONGPASS");
            }
            assertThat(client.call(args("AUTH", CI))).startsWith("-LIMIT Too many failed authentications from this address")
                .contains("3 per PT1H");
            assertThat(client.call(args("PING"))).isEqualTo("-NOAUTH Authentication required.");
        }
        // the address, not the connection, is refused; other addresses are not
        try (RespClient again = client(from); RespClient other = client(null)) {
            assertThat(again.call(args("AUTH", "ci", CI))).startsWith("-LIMIT");
            assertThat(other.call(args("AUTH", CI))).isEqualTo("+OK");
        }
    }

    @Test
    void intakeIsLimitedPerKeyNotPerAddress() throws IOException {
        try (RespClient one = client(null); RespClient two = client(null)) {
            assertThat(one.call(args("AUTH", TENANT_1))).isEqualTo("+OK");
            assertThat(two.call(args("AUTH", TENANT_2))).isEqualTo("+OK");
            for (int i = 0; i < 10; i++) {
                assertThat(one.call(args("SUBMIT", NOOP))).startsWith("$36");
            }

            assertThat(one.call(args("SUBMIT", NOOP))).startsWith("-LIMIT ");
            assertThat(two.call(args("SUBMIT", NOOP))).startsWith("$36");
        }
        // the same key on another connection is the same client
        try (RespClient again = client(loopback(6))) {
            assertThat(again.call(args("AUTH", "tenant1", TENANT_1))).isEqualTo("+OK");
            assertThat(again.call(args("SUBMIT", NOOP))).startsWith("-LIMIT ");
        }
    }

    // --- helpers --------------------------------------------------------------------------------

    record CliRun(int exit, String out, String err) {
    }

    /** Runs redis-cli against the listener, at most 30 s; skips the test where it is not installed. */
    private CliRun redisCli(String... arguments) throws IOException, InterruptedException {
        String cli = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator))
            .map(dir -> Path.of(dir, "redis-cli"))
            .filter(Files::isExecutable)
            .map(Path::toString)
            .findFirst()
            .orElse(null);
        assumeThat(cli).as("redis-cli is not installed (.ci/run installs redis-tools)").isNotNull();
        List<String> command = new ArrayList<>(List.of(cli, "-h", "127.0.0.1", "-p", Integer.toString(server.port()),
                "--no-auth-warning"));
        command.addAll(List.of(arguments));
        Path out = Files.createTempFile(temp, "out", ".txt");
        Path err = Files.createTempFile(temp, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("redis-cli " + List.of(arguments) + " did not end within 30 s");
        }
        return new CliRun(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /**
     * Jedis on the listener, connected from {@code local} (null: any) as {@code config} says; a
     * password in it makes Jedis AUTH as it connects.
     */
    private Jedis jedis(InetAddress local, DefaultJedisClientConfig.Builder config) {
        JedisClientConfig built = config.socketTimeoutMillis(30_000).build();
        int port = server.port();
        JedisSocketFactory sockets = () -> {
            Socket socket = new Socket();
            try {
                if (local != null) {
                    socket.bind(new InetSocketAddress(local, 0));
                }
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                socket.setSoTimeout(built.getSocketTimeoutMillis());
                return socket;
            }
            catch (IOException ex) {
                throw new JedisConnectionException(ex);
            }
        };
        return new Jedis(sockets, built);
    }

    private RespClient client(InetAddress local) throws IOException {
        return new RespClient(new InetSocketAddress("127.0.0.1", server.port()), local);
    }

    /** {@code 127.0.0.<n>}: a loopback address of a test's own, for its failed authentications. */
    static InetAddress loopback(int n) {
        return InetAddress.ofLiteral("127.0.0." + n);
    }

    private static List<byte[]> args(String... arguments) {
        return Stream.of(arguments).map(argument -> argument.getBytes(StandardCharsets.UTF_8)).toList();
    }

    private static String text(Object reply) {
        return reply instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(reply);
    }
}
