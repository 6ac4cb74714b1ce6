package dev.spindle.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import dev.spindle.config.SecurityProperties;
import dev.spindle.config.SecurityProperties.ApiKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.stereotype.Component;

/**
 * The configured API keys ({@code spindle.security.api-keys}), kept only as SHA-256 digests: a key
 * authenticates as its name with its roles. A key given by a user name too (RESP
 * {@code AUTH user pass}) must be that name's key.
 */
@Component
public class ApiKeys implements AuthenticationProvider {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);

    private record Entry(String name, List<GrantedAuthority> authorities) {
    }

    /** By the key's SHA-256 in hex. */
    private final Map<String, Entry> byDigest = new HashMap<>();

    ApiKeys(SecurityProperties properties) {
        Map<String, String> described = new TreeMap<>();
        properties.apiKeys().forEach((name, key) -> {
            String digest = digest(name, key);
            Entry previous = byDigest.put(digest, new Entry(name, Roles.authorities(key.roles())));
            if (previous != null) {
                throw new IllegalStateException("spindle.security.api-keys." + previous.name() + " and ." + name
                        + " are the same key; give each client its own");
            }
            described.put(name, key.roles().toString().toLowerCase(Locale.ROOT));
        });
        if (!described.isEmpty()) {
            log.info("API keys configured: {}", described);
        }
    }

    /** Whether any key is configured. */
    public boolean configured() {
        return !byDigest.isEmpty();
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        Object key = authentication.getCredentials();
        Entry entry = key instanceof String text ? byDigest.get(sha256(text)) : null;
        String user = authentication.getName();
        if (entry == null || (!user.isEmpty() && !user.equals(entry.name()))) {
            throw new BadCredentialsException("The API key is not valid");
        }
        return ApiKeyAuthentication.authenticated(entry.name(), entry.authorities());
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return ApiKeyAuthentication.class.isAssignableFrom(authentication);
    }

    private static String digest(String name, ApiKey key) {
        String prefix = "spindle.security.api-keys." + name;
        if ((key.key() == null) == (key.sha256() == null)) {
            throw new IllegalStateException(prefix + ": give either key or sha256, not both or neither");
        }
        if (key.key() != null) {
            if (key.key().length() < ApiKey.MIN_KEY_LENGTH) {
                throw new IllegalStateException(prefix + ".key: must be at least " + ApiKey.MIN_KEY_LENGTH
                        + " characters (openssl rand -hex 32 makes a good one)");
            }
            return sha256(key.key());
        }
        String sha256 = key.sha256().toLowerCase(Locale.ROOT);
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalStateException(prefix + ".sha256: must be 64 hex digits (printf %s \"$KEY\" | sha256sum)");
        }
        return sha256;
    }

    static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("Every JDK has SHA-256", ex);
        }
    }
}
