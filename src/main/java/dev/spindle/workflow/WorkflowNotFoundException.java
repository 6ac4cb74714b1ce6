package dev.spindle.workflow;

import dev.spindle.job.NotFoundException;

/** No workflow has that id (or it was pruned after its retention). */
public class WorkflowNotFoundException extends NotFoundException {

    public WorkflowNotFoundException(String id) {
        super("Workflow not found", "Workflow '" + (id.length() <= 64 ? id : id.substring(0, 64) + "…") + "' does not exist");
    }
}
