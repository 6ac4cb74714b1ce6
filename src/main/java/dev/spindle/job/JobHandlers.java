package dev.spindle.job;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.springframework.stereotype.Component;

/** The registered handlers by type name; every {@link JobHandler} bean is one. */
@Component
public class JobHandlers {

    private final Map<String, JobHandler> byType = new TreeMap<>();

    JobHandlers(List<JobHandler> handlers) {
        for (JobHandler handler : handlers) {
            JobHandler previous = byType.putIfAbsent(handler.type(), handler);
            if (previous != null) {
                throw new IllegalStateException("Job type '%s' is registered twice: by %s and by %s"
                        .formatted(handler.type(), previous.getClass().getName(), handler.getClass().getName()));
            }
        }
    }

    public Optional<JobHandler> find(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    public Collection<JobHandler> all() {
        return byType.values();
    }
}
