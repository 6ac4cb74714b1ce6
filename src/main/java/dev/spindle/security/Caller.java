package dev.spindle.security;

import org.jspecify.annotations.Nullable;

import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who is calling on this thread: the authenticated principal of the REST request or RESP command
 * being served, as Spring Security's context holds it.
 */
public final class Caller {

    private Caller() {
    }

    /**
     * The name of the authenticated caller (an API key's name, a JWT's subject), or null when the
     * call is not authenticated: no credentials are configured (protected mode), or the thread
     * serves no request (a worker, the scheduler).
     */
    public static @Nullable String name() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication == null || !authentication.isAuthenticated()
                || authentication instanceof AnonymousAuthenticationToken) {
            return null;
        }
        return authentication.getName();
    }
}
