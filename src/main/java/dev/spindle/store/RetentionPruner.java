package dev.spindle.store;

import java.time.Clock;

import dev.spindle.config.StoreProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes terminal jobs once they are older than {@code spindle.store.retention}, a bounded batch
 * at a time; and ended workflows, each whole with all its jobs.
 */
@Component
class RetentionPruner {

    private static final Logger log = LoggerFactory.getLogger(RetentionPruner.class);

    private static final int BATCH = 1000;

    /** Workflows per transaction: each goes with all its jobs (up to {@code spindle.workflows.max-steps}). */
    private static final int WORKFLOW_BATCH = 10;

    private final JobStore store;

    private final WorkflowStore workflows;

    private final StoreProperties properties;

    private final Clock clock;

    RetentionPruner(JobStore store, WorkflowStore workflows, StoreProperties properties, Clock clock) {
        this.store = store;
        this.workflows = workflows;
        this.properties = properties;
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${spindle.store.prune-interval:1m}", initialDelayString = "${spindle.store.prune-interval:1m}")
    void prune() {
        int total = pruneNow();
        if (total > 0) {
            log.info("Pruned {} jobs and workflows that finished more than {} ago", total, properties.retention());
        }
    }

    /** Deletes every job and workflow past its retention now; returns how many (a workflow counts once). */
    int pruneNow() {
        var cutoff = clock.instant().minus(properties.retention());
        int total = 0;
        int deleted;
        do {
            deleted = store.deleteFinishedBefore(cutoff, BATCH);
            total += deleted;
        }
        while (deleted == BATCH);
        do {
            deleted = workflows.deleteWorkflowsFinishedBefore(cutoff, WORKFLOW_BATCH);
            total += deleted;
        }
        while (deleted == WORKFLOW_BATCH);
        return total;
    }
}
