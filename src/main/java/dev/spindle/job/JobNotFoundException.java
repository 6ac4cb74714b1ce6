package dev.spindle.job;

/** No job has that id (or it was pruned after its retention). */
public class JobNotFoundException extends RuntimeException {

    public JobNotFoundException(String id) {
        super("Job '" + id + "' does not exist");
    }
}
