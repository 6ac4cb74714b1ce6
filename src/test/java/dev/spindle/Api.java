package dev.spindle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.MissingNode;

/** A small real-HTTP client for tests: JSON in, status, headers and JSON out. */
public final class Api {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;

    public Api(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    public record Response(int status, HttpResponse<String> raw, JsonNode body) {

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }

        public String id() {
            return body.path("id").asString();
        }

        public String state() {
            return body.path("state").asString();
        }
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    public Response post(String path, String json) {
        return post(path, json, "application/json");
    }

    public Response put(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .PUT(BodyPublishers.ofString(json)));
    }

    public Response delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
    }

    public Response post(String path, String body, String contentType) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", contentType)
            .POST(BodyPublishers.ofString(body)));
    }

    public Response post(String path, BodyPublisher body, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).headers(headers).POST(body));
    }

    public Response getWithHeaders(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).headers(headers).GET());
    }

    /** Any method, with a JSON body or none ({@code json} null), and headers as name, value pairs. */
    public Response request(String method, String path, String json, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        if (json == null) {
            return send(request.method(method, BodyPublishers.noBody()));
        }
        return send(request.header("Content-Type", "application/json").method(method, BodyPublishers.ofString(json)));
    }

    public Response postWithHeaders(String path, String json, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .headers(headers)
            .POST(BodyPublishers.ofString(json)));
    }

    /** Submits a job and returns its id. */
    public String submit(String json) {
        Response response = post("/api/v1/jobs", json);
        if (response.status() != 202) {
            throw new AssertionError("submit got " + response.status() + ": " + response.raw().body());
        }
        return response.id();
    }

    /** Waits (long-poll) until the job is terminal and returns it. */
    public JsonNode awaitTerminal(String id) {
        for (int i = 0; i < 6; i++) {
            Response response = get("/api/v1/jobs/" + id + "?wait=PT10S");
            String state = response.state();
            if (state.equals("SUCCEEDED") || state.equals("FAILED") || state.equals("CANCELLED")) {
                return response.body();
            }
        }
        throw new AssertionError("job " + id + " did not finish within a minute");
    }

    /** Submits a workflow and returns its id. */
    public String submitWorkflow(String json) {
        Response response = post("/api/v1/workflows", json);
        if (response.status() != 202) {
            throw new AssertionError("workflow submit got " + response.status() + ": " + response.raw().body());
        }
        return response.id();
    }

    /** Waits (long-poll) until the workflow has ended and returns it. */
    public JsonNode awaitWorkflow(String id) {
        for (int i = 0; i < 12; i++) {
            Response response = get("/api/v1/workflows/" + id + "?wait=PT10S");
            if (!response.body().path("finishedAt").isMissingNode()) {
                return response.body();
            }
        }
        throw new AssertionError("workflow " + id + " did not end within two minutes");
    }

    /** The workflow's step {@code stepId} as the workflow lists it. */
    public static JsonNode step(JsonNode workflow, String stepId) {
        for (JsonNode step : workflow.path("steps")) {
            if (step.path("id").asString().equals(stepId)) {
                return step;
            }
        }
        throw new AssertionError("no step " + stepId + " in " + workflow);
    }

    public static JsonNode parse(String json) {
        return JSON.readTree(json);
    }

    private Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(90)).build(),
                    BodyHandlers.ofString());
            String body = response.body();
            JsonNode json = body == null || body.isBlank() || !response.headers().firstValue("Content-Type").orElse("").contains("json")
                    ? MissingNode.getInstance() : JSON.readTree(body);
            return new Response(response.statusCode(), response, json);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
