package dev.spindle.job;

/** Where a job is in its life: QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED (a retry goes back to QUEUED). */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

    public boolean isTerminal() {
        return switch (this) {
            case QUEUED, RUNNING -> false;
            case SUCCEEDED, FAILED, CANCELLED -> true;
        };
    }
}
