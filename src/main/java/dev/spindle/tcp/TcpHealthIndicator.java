package dev.spindle.tcp;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** The RESP listener: UP while it accepts connections (or when it is disabled), DOWN otherwise. */
@Component("tcp")
class TcpHealthIndicator extends AbstractHealthIndicator {

    private final RespServer server;

    TcpHealthIndicator(RespServer server) {
        this.server = server;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (!server.properties().enabled()) {
            builder.up().withDetail("enabled", false);
            return;
        }
        (server.listening() ? builder.up() : builder.down())
            .withDetail("port", server.port())
            .withDetail("connections", server.connections())
            .withDetail("maxConnections", server.properties().maxConnections());
    }
}
