/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.output;

import java.io.IOException;
import java.time.Instant;

import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The generator's own Prometheus metrics, served on {@code /metrics} (architecture.md, "Metrics contract").
 *
 * <p>Labels are bounded: the stage name, {@code read}/{@code write}, and the six outcomes. Percentiles are not
 * exported as gauges (they cannot be aggregated); Grafana computes them from the histogram, whose buckets have edges
 * at the 100 ms and 300 ms targets.
 */
public final class PrometheusEndpoint implements AutoCloseable {
    /** Request duration bucket edges, seconds: 1 ms to 10 s, with edges at the 0.1 s and 0.3 s targets. */
    private static final double[] DURATION_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5,
        10};
    /** Schedule lag bucket edges, seconds: 100 µs to 1 s. */
    private static final double[] LAG_BUCKETS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("loadtest_requests_total")
            .help("Requests sent, by stage, operation and outcome.")
            .labelNames("stage", "operation", "outcome").register(registry);
    private final Histogram duration = Histogram.builder().name("loadtest_request_duration_seconds")
            .help("Request latency from the intended send time to the full response body (coordinated-omission-free "
                          + "in the open model; see summary.json for corrected closed-model percentiles).")
            .classicOnly().classicUpperBounds(DURATION_BUCKETS)
            .labelNames("stage", "operation", "outcome").register(registry);
    private final Gauge activeUsers = Gauge.builder().name("loadtest_active_users")
            .help("Virtual users running (open model: requests in flight).").labelNames("stage").register(registry);
    private final Gauge targetUsers = Gauge.builder().name("loadtest_target_users")
            .help("Virtual users the stage wants now (0 in the open model).").labelNames("stage").register(registry);
    private final Histogram lag = Histogram.builder().name("loadtest_schedule_lag_seconds")
            .help("How late the generator sent requests compared with their intended time.")
            .classicOnly().classicUpperBounds(LAG_BUCKETS).labelNames("stage").register(registry);
    private final Gauge stageInfo = Gauge.builder().name("loadtest_stage_info")
            .help("1 while the stage runs, 0 after.").labelNames("stage").register(registry);
    private final Gauge stageStart = Gauge.builder().name("loadtest_stage_start_timestamp_seconds")
            .help("When the stage started, Unix time.").labelNames("stage").register(registry);
    private final Gauge stageEnd = Gauge.builder().name("loadtest_stage_end_timestamp_seconds")
            .help("When the stage ended, Unix time.").labelNames("stage").register(registry);
    private final Gauge stressActive = Gauge.builder().name("loadtest_db_stress_active")
            .help("1 while CPU stress runs on the database host.").register(registry);
    private final HTTPServer server;

    /**
     * Starts serving {@code /metrics}.
     *
     * @param host the address to bind
     * @param port the port, 0 for any free one
     * @throws IOException if it cannot bind
     */
    public PrometheusEndpoint(String host, int port) throws IOException {
        server = HTTPServer.builder().hostname(host).port(port).registry(registry).buildAndStart();
    }

    /**
     * The port serving {@code /metrics}.
     *
     * @return the port
     */
    public int port() {
        return server.getPort();
    }

    /**
     * The data points of one stage, resolved once so recording a request is a few atomic adds; they hear of every
     * request as the stage's recording takes it.
     *
     * @param stage the stage name
     * @return its data points
     */
    public StageRecording.Listener stage(String stage) {
        int ops = Operation.values().length;
        int outcomes = Outcome.values().length;
        CounterDataPoint[][] counters = new CounterDataPoint[ops][outcomes];
        DistributionDataPoint[][] durations = new DistributionDataPoint[ops][outcomes];
        for (Operation op : Operation.values()) {
            for (Outcome outcome : Outcome.values()) {
                counters[op.ordinal()][outcome.ordinal()] = requests.labelValues(stage, op.label(), outcome.label());
                durations[op.ordinal()][outcome.ordinal()] = duration.labelValues(stage, op.label(), outcome.label());
            }
        }
        return new StageMetrics(stage, counters, durations, activeUsers.labelValues(stage),
                                targetUsers.labelValues(stage), lag.labelValues(stage));
    }

    /**
     * Marks a stage as started.
     *
     * @param stage the stage name
     * @param at when
     */
    public void stageStarted(String stage, Instant at) {
        stageInfo.labelValues(stage).set(1);
        stageStart.labelValues(stage).set(at.toEpochMilli() / 1000.0);
    }

    /**
     * Marks a stage as ended.
     *
     * @param stage the stage name
     * @param at when
     */
    public void stageEnded(String stage, Instant at) {
        stageInfo.labelValues(stage).set(0);
        stageEnd.labelValues(stage).set(at.toEpochMilli() / 1000.0);
        activeUsers.labelValues(stage).set(0);
        targetUsers.labelValues(stage).set(0);
    }

    /**
     * Sets whether CPU stress runs.
     *
     * @param active {@code true} while it runs
     */
    public void stressActive(boolean active) {
        stressActive.set(active ? 1 : 0);
    }

    @Override
    public void close() {
        server.stop();
    }

    /**
     * One stage's data points.
     *
     * @param stage the stage name
     * @param counters requests by operation and outcome
     * @param durations durations by operation and outcome
     * @param activeUsers running users
     * @param targetUsers wanted users
     * @param lag schedule lag
     */
    private record StageMetrics(String stage, CounterDataPoint[][] counters, DistributionDataPoint[][] durations,
                                GaugeDataPoint activeUsers, GaugeDataPoint targetUsers, DistributionDataPoint lag)
            implements StageRecording.Listener {
        @Override
        public void request(Operation op, Outcome outcome, long correctedMicros, long lagMicros) {
            counters[op.ordinal()][outcome.ordinal()].inc();
            durations[op.ordinal()][outcome.ordinal()].observe(correctedMicros / 1e6);
            lag.observe(lagMicros / 1e6);
        }

        @Override
        public void activeChanged(int delta) {
            activeUsers.inc(delta);
        }

        @Override
        public void targetUsers(int users) {
            targetUsers.set(users);
        }
    }
}
