/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.promdemo.loadtest.fault.DbStress;
import dev.promdemo.loadtest.fault.FaultInjection;
import dev.promdemo.loadtest.plan.AlertExpectation;
import dev.promdemo.loadtest.plan.PromThreshold;
import dev.promdemo.loadtest.plan.Shard;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;

/**
 * Everything a run needs, as the command line asked for it.
 *
 * @param stageName the {@code --stage} name
 * @param stages the stages to run, overrides applied
 * @param target the API's base URL
 * @param seed the seed of every random choice
 * @param thresholds the thresholds, defaults merged with {@code --threshold}s
 * @param out the output directory
 * @param metricsHost the address the metrics endpoint binds
 * @param metricsPort its port, 0 for any free one
 * @param linger how long metrics keep being served after the last stage
 * @param interval the progress and time-series interval
 * @param requestTimeout the timeout of one request
 * @param connectTimeout the timeout of one connection attempt
 * @param maxInFlight the most requests in flight in the open model
 * @param customers customer ids 1..customers exist (the seeded database has 10,000)
 * @param products product ids 1..products are used in new orders
 * @param stress how CPU stress is applied in stages that ask for it
 * @param verify how many created orders the verification pass re-reads: -1 none, 0 all, else a sample of that many
 * @param args the command line as given, for the summary
 * @param gitCommit the generator's commit ({@code GIT_COMMIT}), or {@code null}
 * @param faults where the fault stages' faults go
 * @param prometheus the Prometheus whose view judges the run, or {@code null} for none
 * @param promThresholds the thresholds on what Prometheus saw, defaults merged with {@code --threshold prom:...}
 * @param alerts the alerts that must fire and resolve, defaults merged with {@code --expect-alert}
 * @param shard which part of a test run by several generators this is ({@link Shard#WHOLE} when alone); the stages,
 *              the seed and the in-flight limit above are already this shard's share
 * @param startAt when the first stage starts, after preflight ({@code --start-at}), or {@code null} for at once
 */
public record RunConfig(String stageName, List<Stage> stages, URI target, long seed, List<Threshold> thresholds,
                        Path out, String metricsHost, int metricsPort, Duration linger, Duration interval,
                        Duration requestTimeout, Duration connectTimeout, int maxInFlight, int customers, int products,
                        DbStress.Settings stress, int verify, List<String> args,
                        String gitCommit, FaultInjection.Settings faults, URI prometheus,
                        List<PromThreshold> promThresholds, List<AlertExpectation> alerts, Shard shard,
                        Instant startAt) {
    /** How far past {@code --start-at} a shard may still start; later, it would run out of step with the others. */
    public static final Duration START_LATE = Duration.ofSeconds(5);

    /**
     * The stage names of this run, for labels and threshold checks.
     *
     * @return the names
     */
    public List<String> stageNames() {
        return stages.stream().map(Stage::name).toList();
    }

    /**
     * The thresholds that judge one stage.
     *
     * @param stage the stage
     * @return its thresholds
     */
    public List<Threshold> thresholdsFor(Stage stage) {
        return thresholds.stream().filter(t -> t.appliesTo(stage.name())).toList();
    }
}
