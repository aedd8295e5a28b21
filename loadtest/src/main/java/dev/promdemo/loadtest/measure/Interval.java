/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.util.Map;

import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Stage;
import org.HdrHistogram.Histogram;

/**
 * What one interval of a stage measured: for the time series, the interval log and the progress line.
 *
 * @param stage the stage
 * @param startMillis when the interval started, Unix time in ms
 * @param endMillis when it ended
 * @param t seconds since the run started (end of the interval)
 * @param elapsedSeconds seconds since the stage started
 * @param users users running at the end (open model: requests in flight)
 * @param targetUsers users wanted
 * @param requests requests completed in the interval
 * @param errors errors in the interval
 * @param shed requests shed (503) in the interval, among the errors
 * @param corrected corrected latency per operation, microseconds
 * @param observed observed latency per operation, microseconds
 * @param lag schedule lag, microseconds
 * @param sliver whether it is a short remainder at the stage's end, logged but not a point of the series
 */
public record Interval(Stage stage, long startMillis, long endMillis, double t, long elapsedSeconds, int users,
                       int targetUsers, long requests, long errors, long shed, Map<Operation, Histogram> corrected,
                       Map<Operation, Histogram> observed, Histogram lag, boolean sliver) {
    /**
     * Requests completed per second over the interval.
     *
     * @return the rate
     */
    public double rps() {
        return requests / Math.max(1e-3, (endMillis - startMillis) / 1000.0);
    }

    /**
     * The interval as a point of the run's time series, without its histograms.
     *
     * @return the point
     */
    public Point point() {
        Histogram c = all(true);
        return new Point(stage.name(), t, users, targetUsers, rps(), errors, shed, requests, ms(c, 50), ms(c, 95),
                         ms(c, 99), ms(all(false), 99), ms(lag, 99), startMillis, endMillis, sliver);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /**
     * One point of the time series: an interval of one stage.
     *
     * @param stage the stage name
     * @param t seconds since the run started (end of the interval)
     * @param users users running at the end of the interval (open model: requests in flight)
     * @param targetUsers users wanted
     * @param rps requests completed per second
     * @param errors errors in the interval
 * @param shed requests shed (503) in the interval, among the errors
     * @param requests requests completed in the interval
     * @param p50 corrected median, ms
     * @param p95 corrected p95, ms
     * @param p99 corrected p99, ms
     * @param observedP99 observed p99, ms
     * @param lagP99 schedule lag p99, ms
     * @param startMillis when the interval started, Unix time in ms
     * @param endMillis when it ended
     * @param sliver whether it is a short remainder at the stage's end, logged but not drawn
     */
    public record Point(String stage, double t, int users, int targetUsers, double rps, long errors, long shed,
                        long requests, double p50, double p95, double p99, double observedP99, double lagP99,
                        long startMillis, long endMillis, boolean sliver) {
        /**
         * Whether the report draws it: every interval but a sliver without requests.
         *
         * @return {@code true} if it is a point of the chart
         */
        public boolean drawn() {
            return !sliver || requests > 0;
        }
    }

    /**
     * All operations' latency together.
     *
     * @param correctedLatency corrected or observed
     * @return a new histogram, microseconds
     */
    public Histogram all(boolean correctedLatency) {
        Histogram all = new Histogram(3);
        (correctedLatency ? corrected : observed).values().forEach(all::add);
        return all;
    }
}
