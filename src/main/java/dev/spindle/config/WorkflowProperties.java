package dev.spindle.config;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Bounds of workflows.
 *
 * @param maxSteps most jobs one workflow holds: the steps it is submitted with, and the children
 *        its steps add while they run
 */
@Validated
@ConfigurationProperties("spindle.workflows")
public record WorkflowProperties(@DefaultValue("100000") @Min(1) @Max(1_000_000) int maxSteps) {
}
