package dev.spindle.api;

import java.io.IOException;

import dev.spindle.intake.IntakeLimiter;
import dev.spindle.intake.IntakeLimiter.Decision;
import dev.spindle.security.Caller;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Rate limits the API's writes (every POST under {@code /api/}: submit, batch, cancel, retry) per client:
 * the authenticated principal, else (no credentials configured) the remote address. It runs after
 * Spring Security, so only an authenticated caller spends its own budget: a flood with a wrong or no key
 * is refused before it reaches here. A refused request gets 429 with Retry-After; every counted one gets
 * RateLimit-Limit, -Remaining and -Reset (the separate fields of draft-ietf-httpapi-ratelimit-headers up
 * to -06, which gateways and client libraries emit and read today).
 */
@Component
@Order(IntakeLimitFilter.ORDER)
class IntakeLimitFilter extends OncePerRequestFilter {

    /**
     * Just after Spring Security's filter chain, which says who the client is, and before anything that
     * reads the body, {@link BodySizeLimitFilter} included: a refused request costs no body read.
     */
    static final int ORDER = SecurityFilterProperties.DEFAULT_FILTER_ORDER + 10;

    private final IntakeLimiter limiter;

    private final JsonMapper json;

    IntakeLimitFilter(IntakeLimiter limiter, JsonMapper json) {
        this.limiter = limiter;
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // the servlet path is decoded and normalised by the container, so /%61pi/ or /api/./ cannot slip past
        return !limiter.enabled() || !HttpMethod.POST.matches(request.getMethod())
                || !request.getServletPath().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Decision decision = limiter.acquire(client(request));
        response.setHeader("RateLimit-Limit", Integer.toString(decision.limit()));
        response.setHeader("RateLimit-Remaining", Integer.toString(decision.remaining()));
        response.setHeader("RateLimit-Reset", Long.toString(decision.resetSeconds()));
        if (!decision.permitted()) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(decision.resetSeconds()));
            ProblemResponses.write(json, response, HttpStatus.TOO_MANY_REQUESTS, "Too Many Requests",
                    decision.message());
            return;
        }
        chain.doFilter(request, response);
    }

    /** The authenticated principal, else the remote address. */
    private static String client(HttpServletRequest request) {
        String principal = Caller.name();
        return principal != null ? "principal:" + principal : "addr:" + request.getRemoteAddr();
    }
}
