@NullMarked
package dev.spindle.store;

import org.jspecify.annotations.NullMarked;
