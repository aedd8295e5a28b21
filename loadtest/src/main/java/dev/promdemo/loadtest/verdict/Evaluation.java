/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.verdict;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

import dev.promdemo.loadtest.plan.PromThreshold;

/**
 * The judgements themselves, free of HTTP and clocks so that tests can feed them series: a threshold over the points
 * Prometheus returned, and an alert's firing spans against its fault's window.
 */
final class Evaluation {
    private Evaluation() {
    }

    /**
     * A verdict and what was seen.
     *
     * @param passed whether it held
     * @param actual what was seen, for reports
     */
    record Verdict(boolean passed, String actual) {
    }

    /**
     * Judges a threshold on every point of every series. NaN points (a quantile with no requests at that moment) are
     * skipped; a result with no point at all fails, naming the expression, since a missing metric or rule looks
     * exactly like that.
     *
     * @param t the threshold
     * @param series what Prometheus returned
     * @return the verdict
     */
    static Verdict threshold(PromThreshold t, List<PrometheusApi.Series> series) {
        boolean upper = t.op().startsWith("<");
        int points = 0;
        double worst = upper ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        List<String> failing = new ArrayList<>();
        for (PrometheusApi.Series s : series) {
            double seriesWorst = upper ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            PrometheusApi.Sample at = null;
            for (PrometheusApi.Sample p : s.samples()) {
                if (Double.isNaN(p.value())) {
                    continue;
                }
                points++;
                if (upper ? p.value() > seriesWorst : p.value() < seriesWorst) {
                    seriesWorst = p.value();
                    at = p;
                }
            }
            if (at == null) {
                continue;
            }
            worst = upper ? Math.max(worst, seriesWorst) : Math.min(worst, seriesWorst);
            if (!t.holds(seriesWorst)) {
                failing.add(s.describe() + " = " + number(seriesWorst) + " at " + at.at());
            }
        }
        if (points == 0) {
            return new Verdict(false, "no data: '" + t.query() + "' returned nothing over the stage (is a metric or "
                    + "recording rule it reads missing or renamed?)");
        }
        String seen = (upper ? "max " : "min ") + number(worst) + " over " + points + " points of " + series.size()
                + " series";
        if (failing.isEmpty()) {
            return new Verdict(true, seen);
        }
        return new Verdict(false, seen + "; " + String.join("; ", failing.subList(0, Math.min(3, failing.size())))
                + (failing.size() > 3 ? "; and " + (failing.size() - 3) + " more" : ""));
    }

    /**
     * A span of time during which an alert was firing.
     *
     * @param from the first point it was seen firing
     * @param to the last point it was seen firing, or {@code null} if it still fires at the end of the data
     */
    record Span(Instant from, Instant to) {
    }

    /**
     * Turns the points of {@code ALERTS{alertstate="firing"}} into spans: points further apart than one and a half
     * steps belong to different spans.
     *
     * @param series the series (several instances of one alert merge)
     * @param step the query's step
     * @param end the query's last point
     * @return the spans in time order
     */
    static List<Span> spans(List<PrometheusApi.Series> series, Duration step, Instant end) {
        TreeSet<Instant> times = new TreeSet<>();
        series.forEach(s -> s.samples().forEach(p -> times.add(p.at())));
        List<Span> spans = new ArrayList<>();
        long gap = step.toMillis() * 3 / 2;
        Instant from = null;
        Instant last = null;
        for (Instant t : times) {
            if (last != null && t.toEpochMilli() - last.toEpochMilli() > gap) {
                spans.add(new Span(from, last));
                from = null;
            }
            if (from == null) {
                from = t;
            }
            last = t;
        }
        if (from != null) {
            spans.add(new Span(from, end.toEpochMilli() - last.toEpochMilli() <= gap ? null : last));
        }
        return spans;
    }

    /** Where an alert expectation stands. */
    enum State { PASSED, FAILED, PENDING }

    /**
     * An alert expectation's verdict.
     *
     * @param state passed, failed, or not yet decidable
     * @param actual what was seen
     * @param fired when it started firing, or {@code null}
     * @param resolved when it was last seen firing before it resolved, or {@code null}
     */
    record AlertVerdict(State state, String actual, Instant fired, Instant resolved) {
    }

    /**
     * Judges an alert that must start firing within {@code fireWithin} of {@code clock} (the fault's start, or its
     * end for a fault shorter than that bound, such as a crash whose restart is what the alert reports) and resolve
     * within {@code resolveWithin} of the fault's end. An alert already firing when the fault started does not count
     * until it has resolved and fired again.
     *
     * @param spans the alert's firing spans
     * @param faultStart when the fault was in effect
     * @param faultEnd when it was undone
     * @param clock when the firing bound starts
     * @param fireWithin the firing bound
     * @param resolveWithin the resolving bound
     * @param dataEnd the latest point the spans can know of
     * @return the verdict
     */
    static AlertVerdict alert(List<Span> spans, Instant faultStart, Instant faultEnd, Instant clock,
                              Duration fireWithin, Duration resolveWithin, Instant dataEnd) {
        Instant fireBy = clock.plus(fireWithin);
        Instant resolveBy = faultEnd.plus(resolveWithin);
        Span already = null;
        Span fired = null;
        for (Span s : spans) {
            if (s.from().isBefore(faultStart)) {
                if (s.to() == null || !s.to().isBefore(faultStart)) {
                    already = s;
                }
            } else if (fired == null) {
                fired = s;
            }
        }
        if (fired == null || fired.from().isAfter(fireBy)) {
            if (fired == null && !dataEnd.isAfter(fireBy)) {
                return new AlertVerdict(State.PENDING, "not fired yet", null, null);
            }
            String text = "did not fire within " + fireWithin.toSeconds() + "s of the fault "
                    + (clock.equals(faultStart) ? "starting" : "ending")
                    + (fired != null ? " (it fired after " + seconds(clock, fired.from()) + "s)" : "")
                    + (already != null ? "; it was already firing when the fault started" : "");
            return new AlertVerdict(State.FAILED, text, fired == null ? null : fired.from(), null);
        }
        String firedText = "fired " + seconds(faultStart, fired.from()) + "s after the fault started";
        // The last span that began by the resolve bound must have ended by it.
        Span last = fired;
        for (Span s : spans) {
            if (!s.from().isBefore(fired.from()) && !s.from().isAfter(resolveBy)) {
                last = s;
            }
        }
        if (last.to() == null || last.to().isAfter(resolveBy)) {
            if (last.to() == null && !dataEnd.isAfter(resolveBy)) {
                return new AlertVerdict(State.PENDING, firedText + ", not resolved yet", fired.from(), null);
            }
            return new AlertVerdict(State.FAILED, firedText + ", but did not resolve within "
                    + resolveWithin.toSeconds() + "s of the fault ending", fired.from(), null);
        }
        return new AlertVerdict(State.PASSED, firedText + ", resolved " + seconds(faultEnd, last.to())
                + "s after it ended", fired.from(), last.to());
    }

    private static long seconds(Instant from, Instant to) {
        return Math.round((to.toEpochMilli() - from.toEpochMilli()) / 1000.0);
    }

    static String number(double v) {
        if (Double.isInfinite(v) || Double.isNaN(v)) {
            return Double.toString(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e12) {
            return Long.toString((long) v);
        }
        String text = String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.4g", v);
        return text.contains("e") ? text : text.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
