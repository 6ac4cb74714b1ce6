/** Workflows: graphs of steps (each a job) released as their dependencies end, with children added at run time. */
@NullMarked
package dev.spindle.workflow;

import org.jspecify.annotations.NullMarked;
