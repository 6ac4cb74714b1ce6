package dev.spindle.queue;

/** No queue of that name is configured, holds jobs not yet ended, or was ever paused. */
public class QueueNotFoundException extends RuntimeException {

    public QueueNotFoundException(String name) {
        super("Queue '" + name + "' is not configured and holds no queued, running or waiting jobs");
    }
}
