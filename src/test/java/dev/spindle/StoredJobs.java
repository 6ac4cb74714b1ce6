package dev.spindle;

import org.springframework.jdbc.core.simple.JdbcClient;

/** What the store holds, read behind the API's back: tests that bad input stored nothing use it. */
public final class StoredJobs {

    private StoredJobs() {
    }

    /** Every row of the jobs table, in any state. */
    public static long count(JdbcClient jdbc) {
        return jdbc.sql("SELECT COUNT(*) FROM jobs").query(Long.class).single();
    }
}
