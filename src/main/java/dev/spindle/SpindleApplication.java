package dev.spindle;

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
        SpringApplication.run(SpindleApplication.class, args);
    }
}
