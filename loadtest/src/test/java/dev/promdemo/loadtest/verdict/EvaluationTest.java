/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.verdict;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.promdemo.loadtest.plan.PromThreshold;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thresholds judged on the points Prometheus returns, and alert expectations on an alert's firing spans.
 */
class EvaluationTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration STEP = Duration.ofSeconds(5);

    private static PrometheusApi.Series series(String instance, double... values) {
        List<PrometheusApi.Sample> samples = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            samples.add(new PrometheusApi.Sample(T0.plusSeconds(15L * i), values[i]));
        }
        return new PrometheusApi.Series(Map.of("__name__", "up", "instance", instance), samples);
    }

    private static PromThreshold threshold(String text) {
        return PromThreshold.parse(text, List.of());
    }

    @Test
    void aThresholdHoldsOnlyIfEveryPointOfEverySeriesMeetsIt() {
        PromThreshold t = threshold("prom:instance:node_cpu_utilisation:rate1m < 0.95");
        Evaluation.Verdict ok = Evaluation.threshold(t, List.of(series("a", 0.2, 0.5), series("b", 0.94)));
        assertTrue(ok.passed(), ok.actual());
        assertTrue(ok.actual().startsWith("max 0.94"), ok.actual());
        Evaluation.Verdict bad = Evaluation.threshold(t, List.of(series("a", 0.2, 0.97, 0.3), series("b", 0.5)));
        assertFalse(bad.passed());
        assertTrue(bad.actual().contains("instance=\"a\"") && bad.actual().contains("0.97")
                           && bad.actual().contains(T0.plusSeconds(15).toString()), bad.actual());
    }

    @Test
    void aLowerBoundNamesTheSeriesThatFellBelowIt() {
        Evaluation.Verdict v = Evaluation.threshold(threshold("prom:up > 0.5"),
                                                    List.of(series("api", 1, 0, 1), series("db", 1, 1, 1)));
        assertFalse(v.passed());
        assertTrue(v.actual().startsWith("min 0 ") && v.actual().contains("api") && !v.actual().contains("db"),
                   v.actual());
    }

    @Test
    void noDataFailsAndNamesTheExpression() {
        PromThreshold t = threshold("prom:job:http_server_requests_errors_per_requests:ratio_rate1m < 0.05");
        Evaluation.Verdict none = Evaluation.threshold(t, List.of());
        assertFalse(none.passed());
        assertTrue(none.actual().contains("no data")
                           && none.actual().contains("job:http_server_requests_errors_per_requests:ratio_rate1m"),
                   none.actual());
        // NaN points (a quantile over no requests) are skipped; only NaN is no data.
        assertFalse(Evaluation.threshold(t, List.of(series("a", Double.NaN))).passed());
        assertTrue(Evaluation.threshold(t, List.of(series("a", Double.NaN, 0.01))).passed());
    }

    private static List<PrometheusApi.Series> firing(long fromSecond, long toSecond) {
        List<PrometheusApi.Sample> samples = new ArrayList<>();
        for (long s = fromSecond; s <= toSecond; s += STEP.toSeconds()) {
            samples.add(new PrometheusApi.Sample(T0.plusSeconds(s), 1));
        }
        return List.of(new PrometheusApi.Series(Map.of("alertname", "X"), samples));
    }

    private static List<Evaluation.Span> spans(List<PrometheusApi.Series> series, long endSecond) {
        return Evaluation.spans(series, STEP, T0.plusSeconds(endSecond));
    }

    @Test
    void pointsMoreThanAStepApartAreSeparateSpansAndTheLastMayStillFire() {
        List<PrometheusApi.Series> two = new ArrayList<>(firing(0, 20));
        two.add(firing(60, 100).getFirst());
        List<Evaluation.Span> s = spans(two, 100);
        assertEquals(2, s.size());
        assertEquals(new Evaluation.Span(T0, T0.plusSeconds(20)), s.getFirst());
        assertNull(s.get(1).to(), "still firing at the end of the data");
        assertEquals(T0.plusSeconds(100), spans(two, 200).get(1).to());
    }

    private static Evaluation.AlertVerdict judge(List<PrometheusApi.Series> firing, long dataEnd) {
        // Fault from 100 s to 220 s; fire within 60 s of its start, resolve within 120 s of its end.
        return Evaluation.alert(spans(firing, dataEnd), T0.plusSeconds(100), T0.plusSeconds(220),
                                T0.plusSeconds(100), Duration.ofSeconds(60), Duration.ofSeconds(120),
                                T0.plusSeconds(dataEnd));
    }

    @Test
    void anAlertThatFiresDuringTheFaultAndResolvesAfterItPasses() {
        Evaluation.AlertVerdict v = judge(firing(130, 260), 400);
        assertEquals(Evaluation.State.PASSED, v.state(), v.actual());
        assertEquals("fired 30s after the fault started, resolved 40s after it ended", v.actual());
    }

    @Test
    void anAlertThatFiresTooLateOrNeverFails() {
        Evaluation.AlertVerdict late = judge(firing(170, 260), 400);
        assertEquals(Evaluation.State.FAILED, late.state());
        assertTrue(late.actual().contains("did not fire within 60s") && late.actual().contains("after 70s"),
                   late.actual());
        assertEquals(Evaluation.State.FAILED, judge(List.of(), 400).state());
        assertEquals(Evaluation.State.PENDING, judge(List.of(), 150).state(), "its bound has not passed yet");
    }

    @Test
    void anAlertAlreadyFiringBeforeTheFaultDoesNotCount() {
        Evaluation.AlertVerdict v = judge(firing(50, 260), 400);
        assertEquals(Evaluation.State.FAILED, v.state());
        assertTrue(v.actual().contains("already firing when the fault started"), v.actual());
    }

    @Test
    void anAlertThatDoesNotResolveInTimeFailsOnceItsBoundHasPassed() {
        assertEquals(Evaluation.State.PENDING, judge(firing(130, 300), 300).state());
        Evaluation.AlertVerdict v = judge(firing(130, 400), 400);
        assertEquals(Evaluation.State.FAILED, v.state());
        assertTrue(v.actual().contains("did not resolve within 120s"), v.actual());
    }

    @Test
    void aShortFaultStartsTheFiringClockAtItsEnd() {
        // A crash of 5 s: the restart is what the alert reports, 40 s after the undo.
        Evaluation.AlertVerdict v = Evaluation.alert(spans(firing(145, 200), 400), T0.plusSeconds(100),
                                                     T0.plusSeconds(105), T0.plusSeconds(105), Duration.ofSeconds(45),
                                                     Duration.ofSeconds(120), T0.plusSeconds(400));
        assertEquals(Evaluation.State.PASSED, v.state(), v.actual());
    }
}
