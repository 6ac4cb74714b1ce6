package dev.spindle.api;

import java.io.IOException;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * Replaces Boot's error controller (found by the component scan): problem+json for any status,
 * and 404 for a request for {@code /error} itself.
 */
@Controller
final class ProblemErrorController implements ErrorController {

    private final JsonMapper json;

    ProblemErrorController(JsonMapper json) {
        this.json = json;
    }

    @RequestMapping("${server.error.path:/error}")
    void error(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (!(code instanceof Integer status)) {
            // not an error dispatch: someone asked for /error, which is no resource of the API
            write(response, 404, "No endpoint " + request.getMethod() + " " + request.getRequestURI(),
                    request.getRequestURI());
            return;
        }
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        write(response, status, detail(status, request.getAttribute(RequestDispatcher.ERROR_MESSAGE)),
                uri instanceof String path ? path : null);
    }

    private void write(HttpServletResponse response, int status, String detail, @Nullable String instance)
            throws IOException {
        response.setStatus(status);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        json.writeValue(response.getOutputStream(), ProblemResponses.problem(status, null, detail, instance));
    }

    private static String detail(int status, @Nullable Object message) {
        if (status >= 500) {
            return "Spindle failed to handle the request; the error is logged";
        }
        return message instanceof String text && !text.isBlank() ? text : ErrorPages.describe(status);
    }
}
