package dev.spindle.store;

/** Events of a shared store, sent by other nodes (PostgreSQL LISTEN/NOTIFY). */
public interface StoreListener {

    /** Jobs were submitted or re-queued somewhere: a dispatcher with free slots should claim. */
    void jobsAvailable();

    /** A cancel of this running job was asked through another node. */
    void cancelRequested(String id);

    /** A write of this process that ended workflow jobs settled their workflows: see {@link Settled}. */
    default void settled(Settled settled) {
    }
}
