package dev.spindle.config;

import java.nio.file.Path;
import java.util.Map;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The {@code files} job type: the directory trees its jobs may read, by name, and its bounds.
 *
 * @param roots directory roots by name ({@code spindle.files.roots.reports: /srv/reports}); a job
 *        names a root and a path under it, and never reads outside it
 * @param maxParallelism the most files one job reads at once
 * @param maxFiles the most files one job takes (its list is walked, and kept, before it reads them: about
 *        250 bytes of heap each)
 * @param maxMatches the most matching lines a {@code grep} job reports per file
 */
@Validated
@ConfigurationProperties("spindle.files")
public record FilesProperties(
        @DefaultValue Map<String, Path> roots,
        @DefaultValue("64") @Min(1) @Max(1024) int maxParallelism,
        @DefaultValue("100000") @Min(1) int maxFiles,
        @DefaultValue("100") @Min(0) int maxMatches) {

    public FilesProperties {
        roots = Map.copyOf(roots);
    }
}
