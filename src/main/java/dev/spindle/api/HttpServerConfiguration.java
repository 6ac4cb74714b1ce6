package dev.spindle.api;

import dev.spindle.config.ApiProperties;

import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The API port's connector: {@link HeaderDeadlineProtocol} with {@code spindle.api.header-timeout}
 * and {@code crowded-header-timeout}.
 * The management port is a server of its own that this does not touch, so probes keep their
 * connections however the API port is flooded.
 */
@Configuration(proxyBeanMethods = false)
class HttpServerConfiguration {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> headerDeadline(ApiProperties properties) {
        return factory -> {
            factory.setProtocol(HeaderDeadlineProtocol.class.getName());
            factory.addConnectorCustomizers((TomcatConnectorCustomizer) connector -> {
                if (connector.getProtocolHandler() instanceof HeaderDeadlineProtocol protocol) {
                    protocol.setHeaderTimeout(properties.headerTimeout().toMillis());
                    protocol.setCrowdedHeaderTimeout(properties.crowdedHeaderTimeout().toMillis());
                }
            });
        };
    }
}
