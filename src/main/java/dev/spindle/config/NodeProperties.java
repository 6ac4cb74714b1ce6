package dev.spindle.config;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * This instance's identity.
 *
 * @param nodeId the name recorded as {@code node} on the jobs this instance runs; the host name when unset
 */
@ConfigurationProperties("spindle")
public record NodeProperties(@Nullable String nodeId) {

    /** The configured node id, else this host's name. */
    public String resolvedNodeId() {
        if (nodeId != null && !nodeId.isBlank()) {
            return nodeId;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        }
        catch (java.net.UnknownHostException ex) {
            return "spindle";
        }
    }
}
