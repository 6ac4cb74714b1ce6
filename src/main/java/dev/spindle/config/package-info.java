@NullMarked
package dev.spindle.config;

import org.jspecify.annotations.NullMarked;
