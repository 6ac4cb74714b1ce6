package dev.spindle.api;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/**
 * Writes a problem+json answer where {@link ApiExceptionHandler} does not reach: servlet filters,
 * the {@code /error} dispatch and the container's own error reports. Written straight to the
 * response, whatever the client's {@code Accept} says, so an error is never an empty 406.
 */
final class ProblemResponses {

    private ProblemResponses() {
    }

    static void write(JsonMapper json, HttpServletResponse response, HttpStatus status, String title, String detail)
            throws IOException {
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        // not writeValue(stream): that closes the response, and a refused body is still to be drained
        response.getOutputStream().write(json.writeValueAsBytes(problem(status.value(), title, detail, null)));
    }

    /** The problem document for {@code status}; {@code title} defaults to the status's reason phrase. */
    static ProblemDetail problem(int status, @Nullable String title, String detail, @Nullable String instance) {
        ProblemDetail problem = ProblemDetail.forStatus(status);
        HttpStatus known = HttpStatus.resolve(status);
        problem.setTitle(title != null ? title : known != null ? known.getReasonPhrase() : "Error " + status);
        problem.setDetail(detail);
        if (instance != null) {
            problem.setInstance(java.net.URI.create(instance));
        }
        return problem;
    }
}
