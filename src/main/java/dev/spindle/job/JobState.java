package dev.spindle.job;

/**
 * Where a job is in its life: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED (a retry goes back
 * to QUEUED). A workflow step is WAITING before it is QUEUED, until its dependencies have ended;
 * a step whose handler succeeded is WAITING again until the children it added have ended.
 */
public enum JobState {
    WAITING, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return switch (this) {
            case WAITING, QUEUED, RUNNING -> false;
            case SUCCEEDED, FAILED, CANCELLED -> true;
        };
    }
}
