package dev.spindle.security;

import java.util.ArrayList;
import java.util.List;

import dev.spindle.config.SecurityProperties;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys that cannot work refuse the start, naming the property and never the key: the binding
 * and {@link ApiKeys} alone, without the whole application.
 */
class ApiKeyConfigTests {

    private static final String PREFIX = "spindle.security.api-keys.";

    private static final String KEY = "a-good-key-0123456789abcdef";

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Keys.class);

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(SecurityProperties.class)
    @Import(ApiKeys.class)
    static class Keys {
    }

    @Test
    void keysInClearAndAsSha256Start() {
        runner.withPropertyValues(PREFIX + "ci.key=" + KEY, PREFIX + "ci.roles=submit, read",
                PREFIX + "ops.sha256=" + SecurityTests.HASHED_SHA256.toUpperCase(), PREFIX + "ops.roles=operate")
            .run(context -> {
                assertThat(context).hasNotFailed();
                ApiKeys keys = context.getBean(ApiKeys.class);
                assertThat(keys.configured()).isTrue();
                assertThat(keys.authenticate(ApiKeyAuthentication.unauthenticated(null, SecurityTests.HASHED)).getName())
                    .isEqualTo("ops");
            });
    }

    @Test
    void keyShorterThan16CharactersRefusesTheStart() {
        String shortKey = "fifteen-chars!!";
        assertRefused(List.of(PREFIX + "ci.key=" + shortKey, PREFIX + "ci.roles=submit"),
                "spindle.security.api-keys.ci.key: must be at least 16 characters", shortKey);
    }

    @Test
    void keyGivenBothInClearAndAsSha256RefusesTheStart() {
        assertRefused(List.of(PREFIX + "ci.key=" + KEY, PREFIX + "ci.sha256=" + SecurityTests.HASHED_SHA256,
                PREFIX + "ci.roles=submit"), "spindle.security.api-keys.ci: give either key or sha256, not both", KEY);
    }

    @Test
    void keyGivenNeitherInClearNorAsSha256RefusesTheStart() {
        assertRefused(List.of(PREFIX + "ci.roles=submit"), "spindle.security.api-keys.ci: give either key or sha256",
                KEY);
    }

    @Test
    void sameKeyTwiceRefusesTheStartEvenOnceAsItsSha256() {
        assertRefused(List.of(PREFIX + "a.key=" + KEY, PREFIX + "a.roles=submit", PREFIX + "b.key=" + KEY,
                PREFIX + "b.roles=read"), "spindle.security.api-keys.a and .b are the same key", KEY);
        assertRefused(List.of(PREFIX + "a.key=" + SecurityTests.HASHED, PREFIX + "a.roles=submit",
                PREFIX + "b.sha256=" + SecurityTests.HASHED_SHA256, PREFIX + "b.roles=read"), "are the same key",
                SecurityTests.HASHED);
    }

    @Test
    void malformedSha256RefusesTheStart() {
        assertRefused(List.of(PREFIX + "ci.sha256=not-hex", PREFIX + "ci.roles=submit"),
                "spindle.security.api-keys.ci.sha256: must be 64 hex digits", KEY);
    }

    @Test
    void keyWithoutRolesOrWithAnUnknownRoleRefusesTheStart() {
        assertRefused(List.of(PREFIX + "ci.key=" + KEY), "roles", KEY);
        assertRefused(List.of(PREFIX + "ci.key=" + KEY, PREFIX + "ci.roles=superuser"), "roles", KEY);
    }

    private void assertRefused(List<String> properties, String message, String secret) {
        runner.withPropertyValues(properties.toArray(String[]::new)).run(context -> {
            assertThat(context).hasFailed();
            String messages = messages(context.getStartupFailure());
            assertThat(messages).contains(message).doesNotContain(secret);
        });
    }

    /** Every message down the cause chain, as the start's failure report shows them. */
    private static String messages(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            messages.add(String.valueOf(cause.getMessage()));
        }
        return String.join("\n", messages);
    }
}
