package dev.spindle.config;

import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The limits and weights of named queues ({@code spindle.queues.<name>.*}). A job may name any
 * queue; one not configured here has no limits and weight 1. Every node of a cluster should be
 * configured alike: each applies its own configuration to the claims it makes.
 *
 * @param queues the configured queues by name
 */
@Validated
@ConfigurationProperties("spindle")
public record QueueProperties(@DefaultValue Map<String, @Valid Queue> queues) {

    public static final String DEFAULT_QUEUE = "default";

    /** A queue nothing configures: no limits, weight 1. */
    public static final Queue UNLIMITED = new Queue(null, null, null, 1);

    public QueueProperties {
        queues.keySet().forEach(name -> {
            if (!Names.valid(name)) {
                throw new IllegalArgumentException("spindle.queues." + name + ": a queue name is " + Names.RULE);
            }
        });
        queues = Map.copyOf(queues);
    }

    public static QueueProperties none() {
        return new QueueProperties(Map.of());
    }

    /** The queue's settings: configured, or {@link #UNLIMITED}. */
    public Queue queue(String name) {
        return queues.getOrDefault(name, UNLIMITED);
    }

    /**
     * One queue.
     *
     * @param maxRunning most of its jobs running at once across all nodes; none when absent
     * @param maxRunningPerNode most of its jobs running at once on one node; none when absent
     * @param maxRunningPerKey most of its jobs of one concurrency key running at once across all
     *        nodes; none when absent
     * @param weight its share of a claim against the other queues with due jobs (a queue of
     *        weight 3 gets three slots for every one of a queue of weight 1)
     */
    public record Queue(
            @Min(1) @Max(1_000_000) @Nullable Integer maxRunning,
            @Min(1) @Max(1_000_000) @Nullable Integer maxRunningPerNode,
            @Min(1) @Max(1_000_000) @Nullable Integer maxRunningPerKey,
            @DefaultValue("1") @Min(1) @Max(1000) int weight) {

        /** Whether any limit applies: only then do claims of its jobs count its running jobs. */
        public boolean limited() {
            return maxRunning != null || maxRunningPerNode != null || maxRunningPerKey != null;
        }
    }
}
