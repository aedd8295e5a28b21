/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.promdemo.loadtest.output.PrometheusEndpoint;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Stages;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the load generator does for every response: record observed and corrected latency and schedule lag into
 * HdrHistogram recorders (interval and steady state), count the outcome, and update its Prometheus counter and
 * histograms. It runs on the generator's hot path, so its cost caps the generator's own ceiling.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar LatencyRecordingBenchmark}. Expect well under 1 µs per
 * response single-threaded (the closed model adds HdrHistogram's coordinated-omission back-fill, which only costs more
 * when a latency exceeds the expected interval).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class LatencyRecordingBenchmark {
    private PrometheusEndpoint metrics;
    private StageRecording open;
    private StageRecording closed;
    private long intended;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        metrics = new PrometheusEndpoint("127.0.0.1", 0);
        Stage openStage = new Stage("open", 0, 0, 1000, Duration.ZERO, Duration.ofMinutes(1), 0.8,
                                    Duration.ZERO, Duration.ZERO, false);
        Stage closedStage = Stages.named("read-heavy").getFirst();
        long now = System.nanoTime();
        open = new StageRecording(openStage, 0, now, 5_000_000, metrics.stage("open"));
        closed = new StageRecording(closedStage, 1, now, 5_000_000, metrics.stage(closedStage.name()));
        intended = now + Duration.ofMinutes(1).toNanos();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        metrics.close();
    }

    @Benchmark
    public long baseline() {
        return intended;
    }

    @Benchmark
    public void recordOpenModelResponse() {
        // Sent 50 us late, answered 4 ms later: typical figures from a run against the local API.
        open.record(Operation.READ, Outcome.OK, intended, intended + 50_000, intended + 4_050_000);
    }

    @Benchmark
    public void recordClosedModelResponse() {
        closed.record(Operation.WRITE, Outcome.OK, intended, intended + 50_000, intended + 4_050_000);
    }

    @Benchmark
    @Threads(2)
    public void recordOpenModelResponseTwoThreads() {
        open.record(Operation.READ, Outcome.OK, intended, intended + 50_000, intended + 4_050_000);
    }
}
