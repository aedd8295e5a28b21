/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;

/**
 * One stage of load: who sends what, for how long.
 *
 * <p>Closed model ({@code rate == 0}): the number of virtual users moves linearly from {@code fromUsers} to
 * {@code users} during {@code ramp}, then stays for {@code duration}. Each user sends one request, waits for the
 * full response, thinks, and repeats. Open model ({@code rate > 0}): requests start at fixed intended times
 * whatever the responses do; the rate rises linearly from 0 to {@code rate} per second during the ramp (k6's
 * ramping arrival rate), then stays. Either way the ramp is left out of the steady-state statistics.
 *
 * <p>A stage one of several generators runs ({@code --shard I/N}) has its share of the users already; in the open
 * model {@code rate} stays the whole test's, and this generator sends every N-th request of that one schedule, from
 * request I - 1, at the very times the schedule gives them: the shards' requests together are exactly the requests
 * one generator would have sent, however the rate divides.
 *
 * @param name the stage's name (the {@code stage} label)
 * @param fromUsers the users at the start of the ramp
 * @param users the users after the ramp
 * @param rate requests per second for the open model, 0 for the closed model
 * @param ramp how long the ramp (or warm-up) lasts
 * @param duration how long the steady state lasts after the ramp
 * @param readRatio the share of reads, 0 to 1; the rest are writes
 * @param thinkMin the shortest think time between a user's requests
 * @param thinkMax the longest think time (uniform between the two)
 * @param stress whether CPU stress runs on the database host during the stage
 * @param fault the fault injected during the stage, or {@code null}
 * @param part which requests of the open model's schedule this generator sends ({@link Shard#WHOLE}: all)
 */
public record Stage(String name, int fromUsers, int users, double rate, Duration ramp, Duration duration,
                    double readRatio, Duration thinkMin, Duration thinkMax, boolean stress, Fault fault, Shard part) {
    /**
     * A stage one generator runs alone.
     *
     * @param name the stage's name
     * @param fromUsers the users at the start of the ramp
     * @param users the users after the ramp
     * @param rate requests per second for the open model, 0 for the closed model
     * @param ramp how long the ramp lasts
     * @param duration how long the steady state lasts
     * @param readRatio the share of reads
     * @param thinkMin the shortest think time
     * @param thinkMax the longest think time
     * @param stress whether CPU stress runs on the database host
     * @param fault the fault injected during the stage, or {@code null}
     */
    public Stage(String name, int fromUsers, int users, double rate, Duration ramp, Duration duration,
                 double readRatio, Duration thinkMin, Duration thinkMax, boolean stress, Fault fault) {
        this(name, fromUsers, users, rate, ramp, duration, readRatio, thinkMin, thinkMax, stress, fault, Shard.WHOLE);
    }

    /**
     * A stage without a fault.
     *
     * @param name the stage's name
     * @param fromUsers the users at the start of the ramp
     * @param users the users after the ramp
     * @param rate requests per second for the open model, 0 for the closed model
     * @param ramp how long the ramp lasts
     * @param duration how long the steady state lasts
     * @param readRatio the share of reads
     * @param thinkMin the shortest think time
     * @param thinkMax the longest think time
     * @param stress whether CPU stress runs on the database host
     */
    public Stage(String name, int fromUsers, int users, double rate, Duration ramp, Duration duration,
                 double readRatio, Duration thinkMin, Duration thinkMax, boolean stress) {
        this(name, fromUsers, users, rate, ramp, duration, readRatio, thinkMin, thinkMax, stress, null);
    }

    /**
     * Whether requests follow a fixed arrival rate (open model) rather than users (closed model).
     *
     * @return {@code true} for the open model
     */
    public boolean open() {
        return rate > 0;
    }

    /**
     * The whole length of the stage: ramp plus steady state.
     *
     * @return the length
     */
    public Duration length() {
        return ramp.plus(duration);
    }

    /**
     * The rate this generator sends at (open model): its part of {@link #rate}.
     *
     * @return requests per second
     */
    public double partRate() {
        return part.share(rate);
    }

    /**
     * When this generator's request {@code k} (from 0) is due, as time since the stage started (open model): request
     * {@code k N + I - 1} of the whole schedule for part {@code I/N} ({@link #scheduleNanos}).
     *
     * @param k the request's index among this generator's requests in the stage
     * @return nanoseconds from the stage's start
     */
    public long dueNanos(long k) {
        return scheduleNanos(k * part.count() + part.index() - 1);
    }

    /**
     * When request {@code k} (from 0) of the whole schedule is due, as time since the stage started (open model).
     * The rate rises linearly from 0 to {@link #rate} over the ramp, so k requests are due by time t &lt; ramp when
     * k = rate t&sup2; / (2 ramp), and at the full rate after it.
     *
     * @param k the request's index in the whole schedule
     * @return nanoseconds from the stage's start
     */
    public long scheduleNanos(long k) {
        double perNano = rate / 1e9;
        double rampNanos = ramp.toNanos();
        double dueInRamp = perNano * rampNanos / 2;
        if (k < dueInRamp) {
            return (long) Math.sqrt(2 * rampNanos * k / perNano);
        }
        return (long) (rampNanos / 2 + k / perNano);
    }

    /**
     * How many of this generator's requests are due over the whole stage (open model): its part of the schedule's.
     *
     * @return the count
     */
    public long dueInStage() {
        long all = (long) Math.ceil(rate / 1e9 * (length().toNanos() - ramp.toNanos() / 2.0));
        return all / part.count() + (part.index() <= all % part.count() ? 1 : 0);
    }

    /**
     * The users wanted at a point of the stage (closed model).
     *
     * @param elapsedNanos time since the stage started
     * @return the target user count
     */
    public int targetUsers(long elapsedNanos) {
        long rampNanos = ramp.toNanos();
        if (elapsedNanos >= rampNanos) {
            return users;
        }
        return (int) Math.round(fromUsers + (users - fromUsers) * (double) elapsedNanos / rampNanos);
    }

    /**
     * The mean think time, the pause a user adds to every request cycle.
     *
     * @return the mean in nanoseconds
     */
    public long meanThinkNanos() {
        return (thinkMin.toNanos() + thinkMax.toNanos()) / 2;
    }

    /**
     * The rate the stage should reach in steady state, by Little's law for the closed model (users divided by think
     * time plus latency), printed in the plan and compared with the actual rate at the end.
     *
     * @param latencyNanos an assumed response time
     * @return requests per second
     */
    public double expectedRate(long latencyNanos) {
        if (open()) {
            return partRate();
        }
        return users * 1e9 / Math.max(1, meanThinkNanos() + latencyNanos);
    }
}
