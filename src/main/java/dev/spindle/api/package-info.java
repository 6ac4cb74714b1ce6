@NullMarked
package dev.spindle.api;

import org.jspecify.annotations.NullMarked;
