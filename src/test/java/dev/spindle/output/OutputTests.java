package dev.spindle.output;

import dev.spindle.SpindleTest;

import org.springframework.test.context.TestPropertySource;

/** The output contract on the embedded SQLite store. */
@SpindleTest
@TestPropertySource(properties = { OutputContractTests.PROPERTIES_CHUNKS, OutputContractTests.PROPERTIES_CAP,
        OutputContractTests.PROPERTIES_LOG, OutputContractTests.PROPERTIES_FLUSH })
class OutputTests extends OutputContractTests {
}
