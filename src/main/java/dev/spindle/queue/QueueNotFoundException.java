package dev.spindle.queue;

import dev.spindle.job.NotFoundException;

/** No queue of that name is configured, holds jobs not yet ended, or was ever paused. */
public class QueueNotFoundException extends NotFoundException {

    public QueueNotFoundException(String name) {
        super("Queue not found", "Queue '" + name + "' is not configured and holds no queued, running or waiting jobs");
    }
}
