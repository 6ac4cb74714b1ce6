package dev.spindle.tcp;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import dev.spindle.tcp.RespCommands.Command;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/**
 * The listener's meters, registered once: {@code spindle.tcp.connections} (open now),
 * {@code spindle.tcp.buffered.bytes} (unfinished commands' data held now),
 * {@code spindle.tcp.connections.accepted} and {@code .rejected}, {@code spindle.tcp.commands{command}}
 * and {@code spindle.tcp.errors{kind}}.
 */
final class TcpMetrics {

    private final MeterRegistry registry;

    private final Counter accepted;

    private final Counter rejected;

    private final Map<Command, Counter> commands = new EnumMap<>(Command.class);

    private final Counter unknownCommands;

    private final Map<String, Counter> errors = new HashMap<>();

    TcpMetrics(MeterRegistry registry, Supplier<Number> open, Supplier<Number> buffered) {
        this.registry = registry;
        Gauge.builder("spindle.tcp.connections", open).description("RESP connections open now").register(registry);
        Gauge.builder("spindle.tcp.buffered.bytes", buffered).baseUnit("bytes")
            .description("client data RESP connections hold for commands not yet complete or running").register(registry);
        this.accepted = Counter.builder("spindle.tcp.connections.accepted").description("RESP connections accepted")
            .register(registry);
        this.rejected = Counter.builder("spindle.tcp.connections.rejected")
            .description("RESP connections refused because max-connections were open").register(registry);
        for (Command command : Command.values()) {
            commands.put(command, counter(command.name().toLowerCase(java.util.Locale.ROOT)));
        }
        this.unknownCommands = counter("unknown");
        for (String kind : new String[] { "protocol", "unknown_command", "arity", "invalid", "busy", "limited", "internal", "denied",
                "noauth", "noperm", "wrongpass" }) {
            errors.put(kind, Counter.builder("spindle.tcp.errors").tag("kind", kind)
                .description("RESP error replies by kind").register(registry));
        }
    }

    private Counter counter(String command) {
        return Counter.builder("spindle.tcp.commands").tag("command", command).description("RESP commands run")
            .register(registry);
    }

    void accepted() {
        accepted.increment();
    }

    void rejected() {
        rejected.increment();
    }

    void command(@Nullable Command command) {
        (command == null ? unknownCommands : commands.get(command)).increment();
    }

    /** One error reply of a kind registered in the constructor (the map is only read after it). */
    void error(String kind) {
        Counter counter = errors.get(kind);
        if (counter != null) {
            counter.increment();
        }
    }
}
