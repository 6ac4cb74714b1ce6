package dev.spindle.tcp;

import org.jspecify.annotations.Nullable;

import org.springframework.security.core.Authentication;

/**
 * One connection's caller: its remote address and, once AUTH succeeded, who it authenticated as.
 * Read and written by the connection's own thread only.
 */
final class RespSession {

    private final String address;

    private @Nullable Authentication authentication;

    RespSession(String address) {
        this.address = address;
    }

    String address() {
        return address;
    }

    @Nullable Authentication authentication() {
        return authentication;
    }

    void authenticated(Authentication authentication) {
        this.authentication = authentication;
    }

    /** Who the intake limiter counts this connection's commands for: the principal, else the address. */
    String client() {
        return authentication != null ? "principal:" + authentication.getName() : "addr:" + address;
    }
}
