package dev.spindle.api;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * Every error the API port answers is problem+json, in two places for the whole port, none per
 * controller: the {@code /error} dispatch (errors raised inside the application but outside Spring
 * MVC's handlers, and a direct request for {@code /error}, which is an unknown path), and Tomcat's
 * error report valve (requests Tomcat refuses before any servlet sees them: a malformed request
 * line, an oversized header, an encoded {@code /} or NUL in the path). Errors Spring MVC raises
 * (404, 405, 406, 415, bad bodies) are {@link ApiExceptionHandler}'s.
 */
@Configuration(proxyBeanMethods = false)
class ErrorPages {

    @Bean
    ProblemErrorController problemErrorController(JsonMapper json) {
        return new ProblemErrorController(json);
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports(JsonMapper json) {
        return new ProblemErrorReports(json);
    }

    /** Replaces Boot's error controller: problem+json for any status, and 404 for {@code GET /error} itself. */
    @Controller
    static final class ProblemErrorController implements ErrorController {

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
            return message instanceof String text && !text.isBlank() ? text : describe(status);
        }
    }

    /** Installs {@link ProblemErrorReportValve} in place of Tomcat's HTML error report on the API port. */
    static final class ProblemErrorReports implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

        private final JsonMapper json;

        ProblemErrorReports(JsonMapper json) {
            this.json = json;
        }

        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                StandardHost host = (StandardHost) context.getParent();
                for (Valve valve : host.getPipeline().getValves()) {
                    if (valve instanceof ErrorReportValve) {
                        host.getPipeline().removeValve(valve);
                    }
                }
                // the host adds a valve of this class at start unless it finds one
                host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                host.getPipeline().addValve(new ProblemErrorReportValve(json));
            });
        }

        @Override
        public int getOrder() {
            // after Boot's own customizer, which adds an HTML error report valve this one replaces
            return Ordered.LOWEST_PRECEDENCE;
        }
    }

    /** Tomcat's error report as problem+json, for requests refused before they reach the application. */
    static final class ProblemErrorReportValve extends ErrorReportValve {

        private final JsonMapper json;

        ProblemErrorReportValve(JsonMapper json) {
            this.json = json;
        }

        @Override
        protected void report(Request request, Response response, @Nullable Throwable throwable) {
            int status = response.getStatus();
            if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
                return;
            }
            String detail = status >= 500 ? "Spindle failed to handle the request; the error is logged"
                    : describe(status);
            try {
                response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
                response.setCharacterEncoding(StandardCharsets.UTF_8.name());
                Writer writer = response.getReporter();
                if (writer != null) {
                    writer.write(json.writeValueAsString(ProblemResponses.problem(status, null, detail, null)));
                    response.finishResponse();
                }
            }
            catch (IOException | IllegalStateException ex) {
                // the client is gone or the response cannot take a body: nothing more to say
            }
        }
    }

    /** What a status the container set on its own means for the client. */
    static String describe(int status) {
        return switch (status) {
            case 400 -> "The request could not be read: a malformed request line or header, a header over the size "
                    + "limit, or a path with an encoded '/', '\\\\' or NUL character. It was not processed.";
            case 404 -> "No such resource";
            case 405 -> "The method is not allowed on this resource";
            case 413 -> "The request is larger than the server accepts; it was not processed";
            case 414 -> "The request line is longer than the server accepts; it was not processed";
            case 431 -> "The request's headers are larger than the server accepts; it was not processed";
            default -> {
                HttpStatus known = HttpStatus.resolve(status);
                yield (known != null ? known.getReasonPhrase() : "Error " + status) + "; the request was not processed";
            }
        };
    }
}
