@NullMarked
package dev.spindle.job;

import org.jspecify.annotations.NullMarked;
