package dev.spindle;

import dev.spindle.memory.OutOfMemoryExit;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Starts Spindle: the REST API, the worker pool and the store. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class SpindleApplication {

    public static void main(String[] args) {
        OutOfMemoryExit.install();
        SpringApplication.run(SpindleApplication.class, args);
    }
}
