package dev.spindle.security;

import java.net.InetAddress;

import dev.spindle.Api.Response;
import dev.spindle.SpindleTest;
import jakarta.servlet.Filter;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.context.WebApplicationContext;

import static dev.spindle.security.ProtectedModeTests.from;
import static dev.spindle.security.ProtectedModeTests.nonLoopbackAddress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** No credentials and {@code spindle.security.protected-mode=false}: everyone is served, from anywhere. */
@SpindleTest
@TestPropertySource(properties = "spindle.security.protected-mode=false")
class OpenModeTests {

    @LocalServerPort
    int port;

    @Value("${local.management.port}")
    int managementPort;

    @Autowired
    WebApplicationContext context;

    @Test
    void remoteClientIsServed() {
        InetAddress remote = nonLoopbackAddress();
        try (Client client = Client.from(remote, port); Client management = Client.from(remote, managementPort)) {
            Response submitted = client.post("/api/v1/jobs", "{\"type\": \"noop\"}");
            assertThat(submitted.status()).isEqualTo(202);
            assertThat(submitted.body().has("submittedBy")).isFalse();
            assertThat(client.get("/api/v1/jobs/" + submitted.id()).status()).isEqualTo(200);
            assertThat(client.send("POST", "/api/v1/queues/open-mode/pause", null).status()).isEqualTo(200);
            assertThat(management.get("/actuator/workerpool").status()).isEqualTo(200);
        }
    }

    @Test
    void anyRemoteAddressIsServed() throws Exception {
        MockMvc mvc = MockMvcBuilders.webAppContextSetup(context)
            .addFilters(context.getBean("springSecurityFilterChain", Filter.class))
            .build();

        mvc.perform(post("/api/v1/jobs").with(from("203.0.113.9"))
                .contentType(MediaType.APPLICATION_JSON)
                .content("{\"type\": \"noop\"}"))
            .andExpect(status().isAccepted())
            .andExpect(jsonPath("$.state").value("QUEUED"));
    }
}
