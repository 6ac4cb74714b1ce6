package dev.spindle.job;

/** No job has that id (or it was pruned after its retention). */
public class JobNotFoundException extends NotFoundException {

    public JobNotFoundException(String id) {
        super("Job not found", "Job '" + id + "' does not exist");
    }
}
