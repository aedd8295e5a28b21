/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.measure;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.promdemo.loadtest.plan.Operation;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;
import org.HdrHistogram.Histogram;

/**
 * The union of the shards of one test: counts summed, HdrHistograms added (so a percentile of the union is the
 * percentile of one histogram holding every shard's samples, to HdrHistogram's precision), users and rates summed,
 * and the thresholds judged once, on the whole.
 */
public final class Union {
    private Union() {
    }

    /**
     * The whole test's stage: the shards' users (at both ends of the ramp) summed, and the whole schedule of the
     * open model (each shard sent its part of it); the rest is the same in every shard.
     *
     * @param parts the shards' stage, shard 1 first
     * @return the stage as one generator would have run it
     */
    public static Stage stage(List<Stage> parts) {
        Stage first = parts.getFirst();
        int from = 0;
        int users = 0;
        for (Stage s : parts) {
            from += s.fromUsers();
            users += s.users();
        }
        return new Stage(first.name(), from, users, first.rate(), first.ramp(), first.duration(), first.readRatio(),
                         first.thinkMin(), first.thinkMax(), first.stress(), first.fault());
    }

    /**
     * One stage of the whole test from the shards' results of it.
     *
     * @param parts the shards' results of the stage, shard 1 first (whose stress and fault windows are the test's:
     *              only shard 1 starts them)
     * @param thresholds the stage's thresholds, judged on the union
     * @return the stage's result
     */
    public static StageResult stage(List<StageResult> parts, List<Threshold> thresholds) {
        Map<Operation, StageResult.OpStats> ops = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            long[] counts = new long[Outcome.values().length];
            long[] steady = new long[Outcome.values().length];
            Histogram observed = new Histogram(3);
            Histogram corrected = new Histogram(3);
            for (StageResult part : parts) {
                StageResult.OpStats s = part.ops().get(op);
                for (int i = 0; i < counts.length; i++) {
                    counts[i] += s.counts()[i];
                    steady[i] += s.steadyCounts()[i];
                }
                observed.add(s.observed());
                corrected.add(s.corrected());
            }
            ops.put(op, new StageResult.OpStats(counts, steady, observed, corrected));
        }
        StageResult.OpStats all = StageResult.all(ops);
        Histogram lag = new Histogram(3);
        Instant started = parts.getFirst().started();
        Instant ended = parts.getFirst().ended();
        double steadySeconds = 0;
        double baseline = 0;
        long dropped = 0;
        boolean interrupted = false;
        for (StageResult part : parts) {
            lag.add(part.lag());
            started = part.started().isBefore(started) ? part.started() : started;
            ended = part.ended().isAfter(ended) ? part.ended() : ended;
            steadySeconds = Math.max(steadySeconds, part.steadySeconds());
            baseline += part.baselineMillis() / parts.size();
            dropped += part.dropped();
            interrupted |= part.interrupted();
        }
        StageResult first = parts.getFirst();
        return new StageResult(stage(parts.stream().map(StageResult::stage).toList()), started, ended, steadySeconds,
                               interrupted, ops, all, lag, baseline, first.stress(),
                               StageResult.judge(ops, all, thresholds), dropped, first.fault());
    }

    /**
     * The whole test's time series: the k-th interval of a stage in every shard added into the k-th interval of the
     * union (shards that start together with the same {@code --interval} sample each stage at the same moments).
     *
     * @param parts each shard's intervals in order, shard 1 first
     * @param stages the whole test's stages, by name
     * @param runStart when the union starts (the earliest shard's start), for each interval's offset
     * @return the union's intervals, stage by stage in the order of the first shard
     */
    public static List<Interval> intervals(List<List<Interval>> parts, Map<String, Stage> stages, Instant runStart) {
        Map<String, List<List<Interval>>> byStage = new LinkedHashMap<>();
        for (List<Interval> part : parts) {
            Map<String, List<Interval>> own = new LinkedHashMap<>();
            part.forEach(i -> own.computeIfAbsent(i.stage().name(), k -> new ArrayList<>()).add(i));
            own.forEach((stage, intervals) -> {
                List<List<Interval>> slots = byStage.computeIfAbsent(stage, k -> new ArrayList<>());
                for (int k = 0; k < intervals.size(); k++) {
                    if (slots.size() <= k) {
                        slots.add(new ArrayList<>());
                    }
                    slots.get(k).add(intervals.get(k));
                }
            });
        }
        List<Interval> union = new ArrayList<>();
        byStage.forEach((name, slots) -> {
            Stage stage = stages.get(name);
            long stageStart = slots.getFirst().stream().mapToLong(Interval::startMillis).min().orElse(0);
            for (List<Interval> slot : slots) {
                union.add(add(slot, stage, stageStart, runStart.toEpochMilli()));
            }
        });
        return union;
    }

    private static Interval add(List<Interval> slot, Stage stage, long stageStart, long runStartMillis) {
        Map<Operation, Histogram> corrected = new EnumMap<>(Operation.class);
        Map<Operation, Histogram> observed = new EnumMap<>(Operation.class);
        for (Operation op : Operation.values()) {
            corrected.put(op, new Histogram(3));
            observed.put(op, new Histogram(3));
        }
        Histogram lag = new Histogram(3);
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        int users = 0;
        int target = 0;
        long requests = 0;
        long errors = 0;
        long shed = 0;
        boolean sliver = true;
        for (Interval i : slot) {
            for (Operation op : Operation.values()) {
                corrected.get(op).add(i.corrected().get(op));
                observed.get(op).add(i.observed().get(op));
            }
            lag.add(i.lag());
            start = Math.min(start, i.startMillis());
            end = Math.max(end, i.endMillis());
            users += i.users();
            target += i.targetUsers();
            requests += i.requests();
            errors += i.errors();
            shed += i.shed();
            sliver &= i.sliver();
        }
        return new Interval(stage, start, end, (end - runStartMillis) / 1000.0, (end - stageStart) / 1000, users,
                            target, requests, errors, shed, corrected, observed, lag, sliver);
    }

    /**
     * Every shard's verification pass as one: the counts summed, each problem marked with its shard.
     *
     * @param parts each shard's verification, or {@code null} where a shard verified nothing, shard 1 first
     * @return the whole, or {@code null} if no shard verified
     */
    public static Verification verification(List<Verification> parts) {
        long created = 0;
        long checked = 0;
        long missing = 0;
        long different = 0;
        long unreadable = 0;
        List<String> problems = new ArrayList<>();
        boolean any = false;
        for (int i = 0; i < parts.size(); i++) {
            Verification v = parts.get(i);
            if (v == null) {
                continue;
            }
            any = true;
            created += v.created();
            checked += v.checked();
            missing += v.missing();
            different += v.different();
            unreadable += v.unreadable();
            String shard = parts.size() > 1 ? "shard " + (i + 1) + ": " : "";
            v.problems().forEach(p -> problems.add(shard + p));
        }
        return any ? new Verification(created, checked, missing, different, unreadable, List.copyOf(problems)) : null;
    }
}
