package dev.spindle.pool;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.spindle.config.ClusterProperties;
import dev.spindle.store.JobStore;
import dev.spindle.store.NodeView;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * The cluster as the store sees it: this process, the processes alive (heartbeat within a lease),
 * keyed by instance id with their node names, and the jobs each runs. DOWN when the store cannot be read.
 */
@Component("cluster")
class ClusterHealthIndicator extends AbstractHealthIndicator {

    private final JobStore store;

    private final WorkerPool pool;

    private final ClusterProperties properties;

    private final Clock clock;

    ClusterHealthIndicator(JobStore store, WorkerPool pool, ClusterProperties properties, Clock clock) {
        super("The job store cannot be read");
        this.store = store;
        this.pool = pool;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        List<NodeView> nodes = store.nodes();
        Instant aliveSince = clock.instant().minus(properties.leaseTtl());
        Map<String, Object> view = new LinkedHashMap<>();
        for (NodeView node : nodes) {
            view.put(node.instance(), Map.of("node", node.node(), "alive", node.heartbeatAt().isAfter(aliveSince),
                    "running", node.running(), "concurrency", node.concurrency(), "startedAt",
                    node.startedAt().toString(), "heartbeatAt", node.heartbeatAt().toString()));
        }
        builder.up()
            .withDetail("node", pool.node())
            .withDetail("instance", pool.instance())
            .withDetail("shared", store.shared())
            .withDetail("nodesAlive", nodes.stream().filter(node -> node.heartbeatAt().isAfter(aliveSince)).count())
            .withDetail("nodes", view);
    }
}
