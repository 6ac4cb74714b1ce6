package dev.spindle.api;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

/**
 * Every error the API port answers is problem+json, from three places for the whole port, none
 * per controller: Tomcat's error report valve (this class: requests Tomcat refuses before any
 * servlet sees them, such as a malformed request line, an oversized header, an encoded {@code /} or
 * NUL in the path), the {@code /error} dispatch ({@link ProblemErrorController}: errors raised
 * inside the application but outside Spring MVC's handlers, and a request for {@code /error}
 * itself), and {@link ApiExceptionHandler} (what Spring MVC raises: 404, 405, 406, 415, bad bodies).
 */
@ManagementContextConfiguration(value = ManagementContextType.ANY, proxyBeanMethods = false)
class ErrorPages {

    /**
     * The valve on every port: this class is a configuration of the application (found by the
     * component scan) and of the management port's own context (listed in
     * {@code META-INF/spring/…ManagementContextConfiguration.imports}), whose Tomcat is another.
     */
    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports(JsonMapper json) {
        return new ProblemErrorReports(json);
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
            String detail = status == 500 ? "Spindle failed to handle the request; the error is logged"
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
                    + "limit, or a path with an encoded '/', '\\' or NUL character. It was not processed.";
            case 404 -> "No such resource";
            case 405 -> "The method is not allowed on this resource";
            case 413 -> "The request is larger than the server accepts; it was not processed";
            case 414 -> "The request line is longer than the server accepts; it was not processed";
            case 431 -> "The request's headers are larger than the server accepts; it was not processed";
            case 505 -> "HTTP Version Not Supported: speak HTTP/1.1; the request was not processed";
            default -> {
                HttpStatus known = HttpStatus.resolve(status);
                yield (known != null ? known.getReasonPhrase() : "Error " + status) + "; the request was not processed";
            }
        };
    }
}
