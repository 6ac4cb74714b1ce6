package dev.spindle.memory;

import dev.spindle.memory.MemorySamples.Sample;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MemorySamplesTests {

    @Test
    void keepsTheNewestSamplesOldestFirstWithTheRateBetweenNeighbours() {
        MemorySamples samples = new MemorySamples(3);
        assertThat(samples.snapshot()).isEmpty();
        assertThat(samples.latestRate()).isEqualTo(-1);

        samples.record(1_000, 10, 100, 0);
        samples.record(2_000, 20, 100, 5_000);
        assertThat(samples.latestRate()).isEqualTo(5_000);
        samples.record(2_500, 30, 100, 6_000);
        samples.record(3_500, 40, 200, 10_000);

        assertThat(samples.snapshot()).extracting(Sample::heapUsed).containsExactly(20L, 30L, 40L);
        assertThat(samples.snapshot()).extracting(Sample::allocationRate).containsExactly(-1L, 2_000L, 4_000L);
        assertThat(samples.snapshot().getLast().heapCommitted()).isEqualTo(200);
        assertThat(samples.latestRate()).isEqualTo(4_000);
    }

    @Test
    void aJvmThatDoesNotCountAllocationsGivesNoRate() {
        MemorySamples samples = new MemorySamples(4);
        samples.record(1_000, 10, 100, -1);
        samples.record(2_000, 20, 100, -1);
        assertThat(samples.latestRate()).isEqualTo(-1);
    }
}
