package dev.spindle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/** A clock a test sets and moves; {@link Config} makes it the application's clock. */
public final class MutableClock extends Clock {

    private final AtomicReference<Instant> now;

    public MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    public Instant advance(Duration by) {
        return now.updateAndGet(at -> at.plus(by));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a test clock is UTC");
    }

    /**
     * Makes {@link #SHARED} the application's clock, for a test that imports it (or adds it to the
     * sources of the application it starts) and sets it. Not a {@code @Configuration}: the component
     * scan of every test context would find it.
     */
    public static class Config {

        public static final MutableClock SHARED = new MutableClock(Instant.now());

        @Bean
        @Primary
        MutableClock testClock() {
            return SHARED;
        }
    }
}
