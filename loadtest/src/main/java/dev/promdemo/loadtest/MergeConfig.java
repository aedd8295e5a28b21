/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import dev.promdemo.loadtest.plan.Threshold;

/**
 * What {@code loadtest merge} was asked to do.
 *
 * @param dirs the shards' output directories
 * @param out where the merged outputs go
 * @param thresholds the thresholds for the given stage names: their defaults unless dropped, and the given ones
 *                   (parsed once the shards' stages are known; a malformed one is a configuration error)
 * @param promThresholds {@code prom:} thresholds given, which the merge does not judge (shard 1 did, during the run)
 * @param args the command line after {@code merge}, for the summary
 */
public record MergeConfig(List<Path> dirs, Path out, Function<List<String>, List<Threshold>> thresholds,
                          List<String> promThresholds, List<String> args) {
}
