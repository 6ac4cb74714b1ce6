package dev.spindle.api;

import java.io.IOException;
import java.util.Collections;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses a request whose {@code Accept} header is no media type list with a 400 problem. Left to
 * Spring MVC, such a header fails content negotiation for the answer and for the error alike, and
 * the client gets an empty 406.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class AcceptHeaderFilter extends OncePerRequestFilter {

    private final JsonMapper json;

    AcceptHeaderFilter(JsonMapper json) {
        this.json = json;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        List<String> accept = Collections.list(request.getHeaders(HttpHeaders.ACCEPT));
        try {
            MediaType.parseMediaTypes(accept);
        }
        catch (InvalidMediaTypeException ex) {
            ProblemResponses.write(json, response, HttpStatus.BAD_REQUEST, "Invalid request",
                    "Accept: '" + ex.getMediaType() + "' is not a valid media type (" + ex.getMessage()
                            + "); send application/json, application/problem+json or */*");
            return;
        }
        chain.doFilter(request, response);
    }
}
