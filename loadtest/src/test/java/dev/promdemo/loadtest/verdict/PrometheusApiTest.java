/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.verdict;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * An alert's firing bound grows by the range its expression reads, also when a recording rule hides the range.
 */
class PrometheusApiTest {
    private static final Map<String, String> RECORDS = Map.of(
            "instance:node_cpu_utilisation:rate1m",
            "1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode=~\"idle\"}[1m])))",
            "job:errors:ratio_rate5m", "sum(rate(errors_total[5m])) / sum(rate(requests_total[30s]))",
            "loop:a", "loop:b", "loop:b", "loop:a + rate(x[2m])");

    private static Duration window(String query) {
        return PrometheusApi.window(query, RECORDS, new HashSet<>());
    }

    @Test
    void anInstantExpressionHasNoRange() {
        assertEquals(Duration.ZERO, window("mysql_up{job=\"mysqld\"} == 0"));
    }

    @Test
    void theLongestRangeCounts() {
        assertEquals(Duration.ofSeconds(90), window("changes(process_start_time_seconds[90s]) > 0 or rate(x[1m]) > 0"));
        assertEquals(Duration.ofMinutes(5), window("max_over_time(rate(x[1m])[5m:30s]) > 1"));
        assertEquals(Duration.ZERO, window("1 - avg(irate(node_cpu_seconds_total{mode=~\"idle|iowait\"}[1m])) > 0.95"),
                     "irate reads the last two samples, whatever its range");
        assertEquals(Duration.ofMinutes(2), window("idelta(x[5m]) > 0 or rate(y[2m]) > 1"));
    }

    @Test
    void aRecordingRuleLendsItsRange() {
        assertEquals(Duration.ofMinutes(1), window("instance:node_cpu_utilisation:rate1m{role=\"db\"} > 0.95"));
        assertEquals(Duration.ofMinutes(5), window("job:errors:ratio_rate5m > 0.05"));
        assertEquals(Duration.ofMinutes(2), window("loop:a > 0"), "rules naming each other are followed once");
    }
}
