/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.metrics;

import java.util.concurrent.TimeUnit;

import dev.promdemo.orders.http.OrderService;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request instrumentation: what {@link HttpMetrics} does for every request (find the timer for method,
 * route and status, record the duration into its histogram), and the business counters of a POST.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar HttpMetricsBenchmark}. The target is under 1 µs per
 * request; expect a few hundred ns single-threaded, more with two threads contending on the same histogram.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HttpMetricsBenchmark {
    private HttpMetrics metrics;
    private long nanos = 3_000_000;

    @Setup
    public void setup() {
        MeterRegistry registry = Metrics.createMeterRegistry();
        metrics = new HttpMetrics(registry);
        metrics.record("GET", OrderService.ORDER_BY_ID_ROUTE, 200, nanos);
    }

    @Benchmark
    public long baseline() {
        return nanos;
    }

    @Benchmark
    public void recordOneRequest() {
        metrics.record("GET", OrderService.ORDER_BY_ID_ROUTE, 200, nanos);
    }

    @Benchmark
    @Threads(2)
    public void recordOneRequestTwoThreads() {
        metrics.record("GET", OrderService.ORDER_BY_ID_ROUTE, 200, nanos);
    }

    @Benchmark
    public void recordPostWithCounters() {
        metrics.record("POST", OrderService.ORDER_ROUTE, 201, nanos);
        metrics.orderPlaced(3);
    }
}
