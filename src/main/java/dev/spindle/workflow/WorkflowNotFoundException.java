package dev.spindle.workflow;

/** No workflow has that id (or it was pruned after its retention). */
public class WorkflowNotFoundException extends RuntimeException {

    public WorkflowNotFoundException(String id) {
        super("Workflow '" + (id.length() <= 64 ? id : id.substring(0, 64) + "…") + "' does not exist");
    }
}
