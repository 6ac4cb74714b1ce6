package dev.spindle.api;

import java.util.Arrays;

import dev.spindle.job.ConflictException;
import dev.spindle.job.InvalidInputException;
import dev.spindle.job.InvalidJobException;
import dev.spindle.workflow.InvalidWorkflowException;
import dev.spindle.job.JsonFaults;
import dev.spindle.job.NotFoundException;
import dev.spindle.job.OverloadedException;
import org.apache.tomcat.util.http.InvalidParameterException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

import org.springframework.beans.TypeMismatchException;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Every API error as RFC 9457 problem+json that says what was wrong; never a bare 500 for bad input. */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private static final long STORE_RETRY_AFTER_SECONDS = 5;

    @ExceptionHandler
    ProblemDetail invalidJob(InvalidJobException ex) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid job", ex.getMessage());
        problem.setProperty("errors", ex.errors());
        return problem;
    }

    @ExceptionHandler
    ProblemDetail invalidWorkflow(InvalidWorkflowException ex) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid workflow", ex.getMessage());
        problem.setProperty("errors", ex.errors());
        return problem;
    }

    @ExceptionHandler
    ProblemDetail invalidInput(InvalidInputException ex) {
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid request", ex.getMessage());
        problem.setProperty("errors", ex.errors());
        return problem;
    }

    /** Tomcat could not decode a query parameter (bad percent-encoding, not UTF-8): the client's fault. */
    @ExceptionHandler
    ProblemDetail undecodableParameter(InvalidParameterException ex) {
        return problem(HttpStatus.BAD_REQUEST, "Invalid request",
                "A query parameter is not valid percent-encoded UTF-8; nothing was read");
    }

    @ExceptionHandler
    ProblemDetail invalidRequest(InvalidRequestException ex) {
        return problem(HttpStatus.BAD_REQUEST, "Invalid request", ex.getMessage());
    }

    /** Any kind of thing that is not there: a job, a workflow, a queue, a schedule. */
    @ExceptionHandler
    ProblemDetail notFound(NotFoundException ex) {
        return problem(HttpStatus.NOT_FOUND, ex.title(), ex.getMessage());
    }

    /** What does not fit a job's, a workflow's or a schedule's state. */
    @ExceptionHandler
    ProblemDetail conflict(ConflictException ex) {
        return problem(HttpStatus.CONFLICT, ex.title(), ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail rangeNotSatisfiable(JobOutputController.RangeNotSatisfiableException ex) {
        return problem(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "Range not satisfiable", ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail tooLarge(PayloadTooLargeException ex) {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "Content Too Large", ex.getMessage());
    }

    /** The rest of a late body may still come: the connection cannot carry another request. */
    @ExceptionHandler
    ResponseEntity<ProblemDetail> bodyTimeout(BodyTimeoutException ex) {
        return ResponseEntity.status(HttpStatus.REQUEST_TIMEOUT).header(HttpHeaders.CONNECTION, "close")
            .body(problem(HttpStatus.REQUEST_TIMEOUT, "Request Timeout", ex.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> overloaded(OverloadedException ex) {
        long seconds = Math.max(1, (ex.retryAfter().toMillis() + 999) / 1000);
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
            .header(HttpHeaders.RETRY_AFTER, Long.toString(seconds))
            .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", ex.getMessage()));
    }

    /** The database is down or unreachable: nothing was stored, and the client may try again. */
    @ExceptionHandler({ DataAccessResourceFailureException.class, TransientDataAccessException.class })
    ResponseEntity<ProblemDetail> storeUnavailable(DataAccessException ex) {
        log.warn("The job store is unavailable: {}", ex.getMostSpecificCause().toString());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
            .header(HttpHeaders.RETRY_AFTER, Long.toString(STORE_RETRY_AFTER_SECONDS))
            .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable",
                    "The job store is unavailable; nothing was changed. Retry later."));
    }

    @ExceptionHandler
    ProblemDetail unexpected(Exception ex) {
        log.error("Unexpected error while serving a request", ex);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal Server Error",
                "Spindle failed to handle the request; the error is logged");
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        PayloadTooLargeException tooLarge = cause(ex, PayloadTooLargeException.class);
        BodyTimeoutException late = cause(ex, BodyTimeoutException.class);
        if (late != null) {
            ResponseEntity<ProblemDetail> timeout = bodyTimeout(late);
            return ResponseEntity.status(timeout.getStatusCode()).headers(headers).headers(timeout.getHeaders())
                .body(timeout.getBody());
        }
        ProblemDetail problem = tooLarge != null ? tooLarge(tooLarge)
                : problem(HttpStatus.BAD_REQUEST, "Unreadable request body", describe(ex));
        return ResponseEntity.status(problem.getStatus()).headers(headers).body(problem);
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String name = ex instanceof MethodArgumentTypeMismatchException mismatch ? mismatch.getName()
                : String.valueOf(ex.getPropertyName());
        Class<?> required = ex.getRequiredType();
        String expected = required == null ? "a valid value"
                : required.isEnum() ? "one of " + Arrays.toString(required.getEnumConstants())
                : "a valid " + required.getSimpleName() + (required == java.time.Duration.class ? " such as PT10S" : "");
        ProblemDetail problem = problem(HttpStatus.BAD_REQUEST, "Invalid request",
                name + ": '" + ex.getValue() + "' is not " + expected);
        return ResponseEntity.badRequest().headers(headers).body(problem);
    }

    /** Names the fault in a body Jackson could not read: the field and what was wrong with it. */
    private static String describe(HttpMessageNotReadableException ex) {
        JacksonException jackson = cause(ex, JacksonException.class);
        return jackson == null ? "The request body is missing or unreadable" : JsonFaults.describe(jackson);
    }

    private static <T extends Throwable> @Nullable T cause(Throwable ex, Class<T> type) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static ProblemDetail problem(HttpStatus status, String title, @Nullable String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        return problem;
    }
}
