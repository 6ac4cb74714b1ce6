@NullMarked
package dev.spindle.pool;

import org.jspecify.annotations.NullMarked;
