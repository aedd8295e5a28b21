/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The syntax of Prometheus thresholds and alert expectations, and what a threshold's comparison and names mean.
 */
class PromThresholdTest {
    private static final List<String> STAGES = List.of("normal", "db-outage");

    @Test
    void aRecordingRuleThresholdParsesWithItsBound() {
        PromThreshold t = PromThreshold.parse("prom:job:http_server_requests_errors_per_requests:ratio_rate1m < 0.3",
                                              STAGES);
        assertNull(t.stage());
        assertEquals("job:http_server_requests_errors_per_requests:ratio_rate1m", t.query());
        assertEquals("<", t.op());
        assertEquals(0.3, t.limit());
        assertTrue(t.holds(0.29));
        assertFalse(t.holds(0.3));
        assertFalse(t.holds(Double.NaN), "NaN never meets a bound");
        assertEquals(List.of("job:http_server_requests_errors_per_requests:ratio_rate1m"), t.recordingRules());
    }

    @Test
    void theLastComparisonIsTheBoundAndTheRestIsPromql() {
        PromThreshold t = PromThreshold.parse("normal/prom:sum(rate(x_total[1m]) > 2) >= 1e-3", STAGES);
        assertEquals("normal", t.stage());
        assertEquals("sum(rate(x_total[1m]) > 2)", t.query());
        assertEquals(">=", t.op());
        assertEquals(0.001, t.limit());
        assertTrue(t.holds(0.001));
        assertTrue(t.appliesTo("normal"));
        assertFalse(t.appliesTo("db-outage"));
    }

    @Test
    void onlyNamesWithColonsOutsideLabelsAndRangesAreRecordingRules() {
        PromThreshold t = PromThreshold.parse(
                "prom:max_over_time(instance:node_cpu_utilisation:rate1m{role=\"a:b\",x=~'c:d'}[5m:15s])"
                        + " + job:slo_errors_per_request:ratio_rate5m * up < 1", STAGES);
        assertEquals(List.of("instance:node_cpu_utilisation:rate1m", "job:slo_errors_per_request:ratio_rate5m"),
                     t.recordingRules());
    }

    @Test
    void aWindowPlaceholderMakesItAWholeStageThreshold() {
        PromThreshold t = PromThreshold.parse("prom:sum(increase(orders_placed_total[{window}])) > 0", STAGES);
        assertTrue(t.wholeStage());
        assertEquals("sum(increase(orders_placed_total[245s]))", t.query(245));
        assertFalse(PromThreshold.parse("prom:up > 0.5", STAGES).wholeStage());
    }

    @Test
    void malformedOrUnknownThresholdsAreConfigurationErrors() {
        for (String bad : List.of("prom:up", "prom:up < high", "prom: < 1", "prom:sum(up < 1", "prom:up = 1")) {
            ConfigException e = assertThrows(ConfigException.class, () -> PromThreshold.parse(bad, STAGES), bad);
            assertTrue(e.getMessage().contains("threshold"), e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> PromThreshold.parse("read-heavy/prom:up > 0", STAGES));
        assertTrue(e.getMessage().contains("unknown stage 'read-heavy'"), e.getMessage());
        assertTrue(PromThreshold.matches("db-outage/prom:up > 0"));
        assertFalse(PromThreshold.matches("read:p95<300ms"));
    }

    @Test
    void alertExpectationsNameAStageOfTheRunAndAnAlert() {
        AlertExpectation a = AlertExpectation.parse("db-outage:MysqlDown", STAGES);
        assertEquals("db-outage", a.stage());
        assertEquals("MysqlDown", a.alert());
        assertEquals(AlertExpectation.RESOLVE, a.resolveWithin());
        assertFalse(a.builtIn());
        assertThrows(ConfigException.class, () -> AlertExpectation.parse("db-slow:OrderApiDatabaseSlow", STAGES));
        assertThrows(ConfigException.class, () -> AlertExpectation.parse("MysqlDown", STAGES));
        assertThrows(ConfigException.class, () -> AlertExpectation.parse("db-outage:Mysql Down", STAGES));
    }

    @Test
    void eachStageCarriesTheChecklistLessWhatItCauses() {
        List<String> normal = Stages.defaultPromThresholds("normal").stream().map(PromThreshold::name).toList();
        assertEquals(List.of("API error ratio", "host CPU", "host memory", "every target up", "API read p95"), normal);
        List<String> stress = Stages.defaultPromThresholds("db-stress").stream().map(PromThreshold::name).toList();
        assertFalse(stress.contains("host CPU"), "db-stress causes the CPU on purpose");
        List<String> crash = Stages.defaultPromThresholds("api-crash").stream().map(PromThreshold::name).toList();
        assertEquals(List.of("host CPU", "host memory"), crash);
        assertFalse(Stages.checksOrders("api-crash"));
        assertTrue(Stages.checksOrders("db-outage"));
        assertEquals(List.of("OrderApiDatabaseUnavailable", "MysqlDown"),
                     Stages.defaultAlerts("db-outage").stream().map(AlertExpectation::alert).toList());
    }
}
