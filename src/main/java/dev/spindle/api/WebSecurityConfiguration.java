package dev.spindle.api;

import java.io.IOException;
import java.util.function.Supplier;

import dev.spindle.config.SecurityProperties.Role;
import dev.spindle.security.Access;
import dev.spindle.security.AuthFailures;
import dev.spindle.security.Credentials;
import dev.spindle.security.TooManyFailuresException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.web.authentication.AnonymousAuthenticationFilter;
import org.springframework.security.web.authentication.AuthenticationConverter;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Who may call what over HTTP, by Spring Security: one filter chain for Actuator on the management
 * port and one for the API. A request's credentials ({@code Authorization: Bearer} or
 * {@code X-API-Key}) are authenticated by {@link Credentials}; what it may do then is
 * {@link Access}'s to say, per role:
 * <ul>
 * <li>{@code read}: every GET under {@code /api/};</li>
 * <li>{@code submit}: POST of jobs, job batches and workflows;</li>
 * <li>{@code operate}: every other API call (cancel, retry, queues, schedules);</li>
 * <li>{@code admin}: Actuator, but for liveness and readiness, which stay open for the kubelet.</li>
 * </ul>
 * Refusals are problem+json: 401 (no or bad credentials, with {@code WWW-Authenticate: Bearer}),
 * 403 (a role missing; protected mode, with its hint) and 429 (an address that failed too often).
 */
@Configuration(proxyBeanMethods = false)
class WebSecurityConfiguration {

    static final String API_KEY_HEADER = "X-API-Key";

    private static final Logger log = LoggerFactory.getLogger(WebSecurityConfiguration.class);

    private static final String[] PROBES = { "/actuator/health/liveness", "/actuator/health/readiness" };

    private static final String[] SUBMISSIONS = { "/api/v1/jobs", "/api/v1/jobs/batch", "/api/v1/workflows" };

    private final Access access;

    private final Credentials credentials;

    private final JsonMapper json;

    WebSecurityConfiguration(Access access, Credentials credentials, JsonMapper json) {
        this.access = access;
        this.credentials = credentials;
        this.json = json;
    }

    @Bean
    @Order(1)
    SecurityFilterChain actuatorSecurity(HttpSecurity http) throws Exception {
        common(http.securityMatcher(EndpointRequest.toAnyEndpoint()));
        http.authorizeHttpRequests(requests -> requests
            .requestMatchers(PROBES).permitAll()
            .anyRequest().access(role(Role.ADMIN)));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain apiSecurity(HttpSecurity http) throws Exception {
        common(http);
        http.authorizeHttpRequests(requests -> requests
            .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
            .requestMatchers(HttpMethod.GET, "/api/**").access(role(Role.READ))
            .requestMatchers(HttpMethod.HEAD, "/api/**").access(role(Role.READ))
            .requestMatchers(HttpMethod.POST, SUBMISSIONS).access(role(Role.SUBMIT))
            .requestMatchers("/api/**").access(role(Role.OPERATE))
            // error pages and unknown paths: whoever protected mode lets in
            .anyRequest().access(anyone()));
        return http.build();
    }

    /** A request Spring Security's firewall refuses (a path it will not match safely) is a 400 problem like any other. */
    @Bean
    RequestRejectedHandler requestRejected() {
        return (request, response, ex) -> problem(response, HttpStatus.BAD_REQUEST, "Bad Request",
                "The request could not be read: " + ex.getMessage());
    }

    private void common(HttpSecurity http) throws Exception {
        AuthenticationFilter authentication = new AuthenticationFilter(credentials.manager(), converter());
        authentication.setSuccessHandler((request, response, result) -> {
        });
        authentication.setFailureHandler(this::authenticationFailed);
        http.csrf(AbstractHttpConfigurer::disable)
            .httpBasic(AbstractHttpConfigurer::disable)
            .formLogin(AbstractHttpConfigurer::disable)
            .logout(AbstractHttpConfigurer::disable)
            .requestCache(AbstractHttpConfigurer::disable)
            .sessionManagement(sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .addFilterBefore(authentication, AnonymousAuthenticationFilter.class)
            .exceptionHandling(exceptions -> exceptions
                .authenticationEntryPoint(unauthenticated())
                .accessDeniedHandler(denied()));
    }

    /** {@code Authorization: Bearer <key or JWT>} or {@code X-API-Key: <key>}; none: no authentication tried. */
    private AuthenticationConverter converter() {
        return request -> {
            String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
            boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
            String key = request.getHeader(API_KEY_HEADER);
            // with no credentials configured there is nothing to check a key against: protected mode decides
            if (!access.authenticationRequired() || (!bearer && key == null)) {
                return null;
            }
            credentials.checkNotRefused(request.getRemoteAddr());
            // a Bearer may be a key or a JWT; X-API-Key is a key even when it has a JWT's two dots
            return bearer ? credentials.token(null, authorization.substring(7).strip())
                    : credentials.apiKey(key.strip());
        };
    }

    private void authenticationFailed(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException ex) throws IOException {
        if (ex instanceof TooManyFailuresException refused) {
            response.setHeader(HttpHeaders.RETRY_AFTER, Long.toString(
                    AuthFailures.seconds(refused.retryAfter())));
            problem(response, HttpStatus.TOO_MANY_REQUESTS, "Too Many Requests", refused.getMessage());
            return;
        }
        if (ex instanceof AuthenticationServiceException) {
            // the JWT issuer's keys could not be fetched: no fault of the client's, so not counted against it
            log.warn("A JWT could not be checked: {}", ex.getMessage());
            problem(response, HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable",
                    "The credentials could not be checked now (the JWT issuer's keys are out of reach); retry later");
            return;
        }
        credentials.failed(request.getRemoteAddr());
        unauthorized(response, "The credentials are not valid: " + ex.getMessage());
    }

    /** No credentials where the role needs them; or, in protected mode, a client that is not local. */
    private AuthenticationEntryPoint unauthenticated() {
        return (request, response, ex) -> {
            if (access.refusedByProtectedMode(request.getRemoteAddr())) {
                problem(response, HttpStatus.FORBIDDEN, "Forbidden", Access.PROTECTED_MODE_HINT);
            }
            else {
                unauthorized(response, "This needs credentials: an API key (Authorization: Bearer <key> or "
                        + API_KEY_HEADER + ": <key>) or a JWT");
            }
        };
    }

    private AccessDeniedHandler denied() {
        return (request, response, ex) -> {
            if (access.refusedByProtectedMode(request.getRemoteAddr())) {
                problem(response, HttpStatus.FORBIDDEN, "Forbidden", Access.PROTECTED_MODE_HINT);
            }
            else {
                problem(response, HttpStatus.FORBIDDEN, "Forbidden",
                        "These credentials do not allow " + request.getMethod() + " " + request.getRequestURI());
            }
        };
    }

    private void unauthorized(HttpServletResponse response, String detail) throws IOException {
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        problem(response, HttpStatus.UNAUTHORIZED, "Unauthorized", detail);
    }

    private void problem(HttpServletResponse response, HttpStatus status, String title, String detail) throws IOException {
        if (!response.isCommitted()) {
            ProblemResponses.write(json, response, status, title, detail);
        }
    }

    private AuthorizationManager<RequestAuthorizationContext> role(Role role) {
        return (authentication, context) -> decide(authentication, context, role);
    }

    /** Anyone protected mode admits: with credentials or with protected mode off, everyone. */
    private AuthorizationManager<RequestAuthorizationContext> anyone() {
        return (authentication, context) -> new AuthorizationDecision(
                !access.refusedByProtectedMode(context.getRequest().getRemoteAddr()));
    }

    private AuthorizationDecision decide(Supplier<? extends @Nullable Authentication> authentication,
            RequestAuthorizationContext context, Role role) {
        return new AuthorizationDecision(access.allows(authentication.get(), context.getRequest().getRemoteAddr(), role));
    }
}
