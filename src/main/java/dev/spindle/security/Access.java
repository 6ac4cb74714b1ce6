package dev.spindle.security;

import java.net.InetAddress;

import dev.spindle.config.SecurityProperties;
import dev.spindle.config.SecurityProperties.Role;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.stereotype.Component;

/**
 * What a caller may do, the same for REST and RESP. With credentials configured (API keys, a JWT
 * issuer), what its roles allow. Without any, protected mode: everything for a loopback client,
 * nothing for any other (unless {@code spindle.security.protected-mode=false}, which opens all).
 */
@Component
public class Access {

    /** What a client refused by protected mode is told. */
    public static final String PROTECTED_MODE_HINT = "Spindle is in protected mode: no credentials are configured, so "
            + "it serves loopback clients only. Configure API keys (spindle.security.api-keys.<name>.key and .roles) "
            + "or a JWT issuer (spring.security.oauth2.resourceserver.jwt.issuer-uri), or set "
            + "spindle.security.protected-mode=false to serve everyone without authentication";

    private static final Logger log = LoggerFactory.getLogger(Access.class);

    private enum Mode { CREDENTIALS, PROTECTED, OPEN }

    private final Mode mode;

    Access(SecurityProperties properties, ApiKeys keys, ObjectProvider<JwtDecoder> jwt) {
        boolean credentials = keys.configured() || jwt.getIfAvailable() != null;
        this.mode = credentials ? Mode.CREDENTIALS : properties.protectedMode() ? Mode.PROTECTED : Mode.OPEN;
        switch (mode) {
            case PROTECTED -> log.warn("No credentials are configured: protected mode, REST and RESP serve loopback "
                    + "clients only (see the README, Security)");
            case OPEN -> log.warn("No credentials are configured and spindle.security.protected-mode=false: anyone "
                    + "who reaches REST or RESP may do everything");
            case CREDENTIALS -> log.info("Authentication is required (API keys: {}, JWT: {})", keys.configured(),
                    jwt.getIfAvailable() != null);
        }
    }

    /** Whether callers must authenticate: credentials are configured. */
    public boolean authenticationRequired() {
        return mode == Mode.CREDENTIALS;
    }

    /** Whether protected mode refuses a client at {@code address}. */
    public boolean refusedByProtectedMode(String address) {
        return mode == Mode.PROTECTED && !loopback(address);
    }

    /**
     * Whether a caller may act in {@code role}.
     *
     * @param authentication who it authenticated as; null or anonymous when it did not
     * @param address its remote address
     */
    public boolean allows(@Nullable Authentication authentication, String address, Role role) {
        return switch (mode) {
            case CREDENTIALS -> authentication != null && authentication.isAuthenticated()
                    && Roles.has(authentication.getAuthorities(), role);
            case PROTECTED -> loopback(address);
            case OPEN -> true;
        };
    }

    private static boolean loopback(String address) {
        try {
            return InetAddress.ofLiteral(address).isLoopbackAddress();
        }
        catch (IllegalArgumentException ex) {
            return false;
        }
    }
}
