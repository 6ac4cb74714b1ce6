package dev.spindle.tcp;

import java.nio.charset.StandardCharsets;

import dev.spindle.RespCommand;
import dev.spindle.SpindleTest;
import dev.spindle.StoredJobs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The submissions REST refuses ({@code BadInputTests}) are refused over RESP by the same
 * validation, with an {@code -ERR} that names the field; nothing is stored and the connection stays
 * usable. (Apart from {@link RespBadInputTests}: that class caps the intake at five commands.)
 */
@SpindleTest
class RespInvalidJobTests {

    @Autowired
    RespServer server;

    @Autowired
    JdbcClient jdbc;

    Jedis jedis;

    long before;

    @BeforeEach
    void connect() {
        jedis = new Jedis("127.0.0.1", server.port());
        before = StoredJobs.count(jdbc);
    }

    @AfterEach
    void nothingStoredAndStillServing() {
        assertThat(StoredJobs.count(jdbc)).isEqualTo(before);
        assertThat(jedis.ping()).isEqualTo("PONG");
        jedis.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            sleep ms beyond long  | {"type": "sleep", "payload": {"ms": 99999999999999999999}} | payload: payload.ms must be a whole number
            priority beyond int   | {"type": "noop", "priority": 99999999999999999999}      | priority: the number is out of the range of int
            delay of Long.MAX s   | {"type": "noop", "delay": "PT9223372036854775807S"}    | delay: must be from PT0S to PT8760H
            far-future delay      | {"type": "noop", "delay": "P120000D"}                  | delay: must be from PT0S to PT8760H
            timeout of Long.MAX s | {"type": "noop", "timeout": "PT9223372036854775807S"}  | timeout: must be more than PT0S
            runAt at Instant.MAX  | {"type": "noop", "runAt": "+1000000000-12-31T23:59:59Z"} | runAt: must be from
            runAt in the far past | {"type": "noop", "runAt": "1700-01-01T00:00:00Z"}      | runAt: must be from
            duplicate key         | {"type": "noop", "priority": 1, "priority": 2}         | Duplicate Object property "priority"
            fractional priority   | {"type": "noop", "priority": 1.5}                      | priority: '1.5' is not a valid Integer
            attempts as a string  | {"type": "noop", "maxAttempts": "5"}                   | maxAttempts: expected a Integer
            empty runAt           | {"type": "noop", "runAt": ""}                          | runAt: '' is not a valid Instant
            timeout as a number   | {"type": "noop", "timeout": 30}                        | timeout: expected a Duration
            NUL in type           | {"type": "no\\u0000op"}                                 | type: must not contain the NUL character
            NUL in idempotency key | {"type": "noop", "idempotencyKey": "k\\u0000"}         | idempotencyKey: must not contain the NUL character
            NUL in a payload key  | {"type": "noop", "payload": {"a\\u0000": 1}}            | payload: must not contain the NUL character
            """)
    void badSubmissionIsRefusedByTheSameValidationAsRest(String name, String json, String detail) {
        JedisDataException refused = catchThrowableOfType(JedisDataException.class,
                () -> jedis.sendCommand(RespCommand.SUBMIT, json));

        assertThat(refused.getMessage()).startsWith("ERR invalid job: ").contains(detail);
    }

    @Test
    void idsWithANulCharacterAreUnknownJobs() {
        byte[] id = "0199\0abc".getBytes(StandardCharsets.UTF_8);

        assertThat(jedis.sendCommand(RespCommand.GET, id)).isNull();
        assertThat(jedis.sendCommand(RespCommand.WAIT, id, "0".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(jedis.sendCommand(RespCommand.CANCEL, id)).isEqualTo(0L);
    }
}
