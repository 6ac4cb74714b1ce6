package dev.spindle.store;

import java.util.ArrayList;
import java.util.List;

import dev.spindle.workflow.WorkflowState;

/**
 * What the end of some workflow steps did in the same transaction.
 *
 * @param released steps whose last dependency ended: WAITING → QUEUED
 * @param ended jobs that this ended besides: steps cancelled because a dependency failed, and steps
 *        whose last child ended
 * @param workflows workflows whose last step ended, with the state they ended in
 */
public record Settled(int released, List<String> ended, List<WorkflowEnd> workflows) {

    public static final Settled NONE = new Settled(0, List.of(), List.of());

    public record WorkflowEnd(String id, WorkflowState state) {
    }

    public boolean isEmpty() {
        return released == 0 && ended.isEmpty() && workflows.isEmpty();
    }

    Settled plus(Settled other) {
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        List<String> jobs = new ArrayList<>(ended);
        jobs.addAll(other.ended);
        List<WorkflowEnd> ends = new ArrayList<>(workflows);
        ends.addAll(other.workflows);
        return new Settled(released + other.released, List.copyOf(jobs), List.copyOf(ends));
    }
}
