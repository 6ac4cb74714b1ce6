package dev.spindle.security;

import java.net.InetAddress;

import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import jakarta.servlet.Filter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.RequestPostProcessor;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

import static dev.spindle.security.Client.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * No credentials configured (the shared test context): protected mode serves loopback clients as
 * before and refuses any other with a hint, over a real socket to this host's non-loopback address
 * and through MockMvc with a remote address set; the probes stay open to all.
 */
@SpindleTest
class ProtectedModeTests {

    /** What the hint says to do; {@link Access#PROTECTED_MODE_HINT} says it all. */
    static final String HINT = "spindle.security.api-keys";

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    @Autowired
    WebApplicationContext context;

    MockMvc mvc;

    @BeforeEach
    void setUp() {
        // MockMvc through the same Spring Security filter chain the server runs (spring-boot-webmvc-test,
        // home of @AutoConfigureMockMvc in Boot 4, is not a dependency of this build)
        mvc = MockMvcBuilders.webAppContextSetup(context)
            .addFilters(context.getBean("springSecurityFilterChain", Filter.class))
            .build();
    }

    @Test
    void loopbackClientIsServedWithoutCredentials() {
        try (Client client = Client.loopback(port); Client management = Client.loopback(managementPort)) {
            Response submitted = client.post("/api/v1/jobs", "{\"type\": \"noop\"}");
            assertThat(submitted.status()).isEqualTo(202);
            assertThat(submitted.body().has("submittedBy")).isFalse();
            assertThat(client.get("/api/v1/jobs/" + submitted.id()).status()).isEqualTo(200);
            assertThat(client.send("POST", "/api/v1/queues/protected-mode/pause", null).status()).isEqualTo(200);
            assertThat(client.send("POST", "/api/v1/queues/protected-mode/resume", null).status()).isEqualTo(200);
            assertThat(management.get("/actuator/prometheus").status()).isEqualTo(200);
            assertThat(management.get("/actuator/workerpool").status()).isEqualTo(200);
        }
        // another loopback address is loopback too
        try (Client client = Client.fromLoopback(23, port)) {
            assertThat(client.get("/api/v1/job-types").status()).isEqualTo(200);
        }
    }

    @Test
    void remoteClientIsRefusedWithTheHintButForTheProbes() {
        InetAddress remote = nonLoopbackAddress();
        try (Client client = Client.from(remote, port); Client management = Client.from(remote, managementPort)) {
            Response submit = client.post("/api/v1/jobs", "{\"type\": \"noop\"}");
            assertProblem(submit, 403, HINT);
            assertThat(submit.body().path("detail").asString()).isEqualTo(Access.PROTECTED_MODE_HINT);
            assertProblem(client.get("/api/v1/jobs"), 403, HINT);
            assertProblem(client.send("POST", "/api/v1/queues/protected-mode/pause", null), 403, HINT);
            // not only the API: any page
            assertProblem(client.get("/no-such-page"), 403, HINT);
            assertProblem(management.get("/actuator/prometheus"), 403, HINT);
            assertProblem(management.get("/actuator/health"), 403, HINT);

            assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
            assertThat(management.get("/actuator/health/readiness").status()).isEqualTo(200);
        }
    }

    @Test
    void remoteAddressIsWhatProtectedModeLooksAt() throws Exception {
        mvc.perform(post("/api/v1/jobs").with(from("203.0.113.9"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"type\": \"noop\"}"))
            .andExpect(status().isForbidden())
            .andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
            .andExpect(jsonPath("$.detail").value(Access.PROTECTED_MODE_HINT));
        mvc.perform(get("/api/v1/jobs").with(from("2001:db8::9")))
            .andExpect(status().isForbidden())
            .andExpect(jsonPath("$.detail").value(Access.PROTECTED_MODE_HINT));
        // a forwarded-for header is no way in
        mvc.perform(get("/api/v1/jobs").with(from("203.0.113.9")).header("X-Forwarded-For", "127.0.0.1"))
            .andExpect(status().isForbidden());

        mvc.perform(post("/api/v1/jobs").with(from("127.0.0.1"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"type\": \"noop\"}"))
            .andExpect(status().isAccepted())
            .andExpect(header().exists("Location"));
        mvc.perform(get("/api/v1/jobs").with(from("::1"))).andExpect(status().isOk());
        mvc.perform(get("/api/v1/jobs").with(from("::ffff:127.0.0.1"))).andExpect(status().isOk());
    }

    static InetAddress nonLoopbackAddress() {
        InetAddress address = Client.nonLoopbackAddress().orElse(null);
        assumeThat(address).as("a non-loopback address on an interface that is up").isNotNull();
        return address;
    }

    static RequestPostProcessor from(String address) {
        return request -> {
            request.setRemoteAddr(address);
            return request;
        };
    }
}
