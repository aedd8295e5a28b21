/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.promdemo.loadtest.plan.Shard;

/**
 * What the whole run produced, for the outputs.
 *
 * @param stageName the {@code --stage} name
 * @param target the API's base URL
 * @param seed the seed of every random choice
 * @param args the command line
 * @param client the HTTP client's settings, for the record
 * @param gitCommit the generator's commit, or {@code null}
 * @param stressMode how CPU stress was applied, and why
 * @param started when the run started
 * @param ended when it ended
 * @param highestIdAtStart the highest order id found at preflight
 * @param stages the finished stages
 * @param points the time series
 * @param lagWarnings how many intervals warned about schedule lag
 * @param verification the verification pass, or {@code null}
 * @param exitCode the exit code
 * @param monitoring what Prometheus saw and the verdicts drawn from it, or {@code null} without Prometheus
 * @param shard which part of a test run by several generators this was, or {@code null} for a merge of them
 * @param startAt the start time the run waited for ({@code --start-at}), or {@code null}
 */
public record RunResult(String stageName, String target, long seed, List<String> args, Map<String, Object> client,
                        String gitCommit, String stressMode, Instant started, Instant ended, long highestIdAtStart,
                        List<StageResult> stages, List<Interval.Point> points, int lagWarnings, Verification verification,
                        int exitCode, Monitoring monitoring, Shard shard, Instant startAt) {
}
