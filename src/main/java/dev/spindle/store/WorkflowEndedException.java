package dev.spindle.store;

/** A workflow ended while a change that needs it RUNNING was being made; nothing of the change was stored. */
public class WorkflowEndedException extends RuntimeException {

    public WorkflowEndedException(String id) {
        super("Workflow " + id + " ended meanwhile");
    }
}
