package dev.spindle.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FileDescriptorCheckTests {

    @Test
    void aLimitBelowBothCapsAndTheHeadroomIsWarnedAbout() {
        assertThat(FileDescriptorCheck.warning(16_000, 8192, 10_000))
            .startsWith("The open-file limit is 16000, below the 18704 that server.tomcat.max-connections (8192)");
    }

    @Test
    void aLimitThatCoversThemIsNot() {
        assertThat(FileDescriptorCheck.warning(1_048_576, 8192, 10_000)).isNull();
        assertThat(FileDescriptorCheck.warning(18_704, 8192, 10_000)).isNull();
    }
}
