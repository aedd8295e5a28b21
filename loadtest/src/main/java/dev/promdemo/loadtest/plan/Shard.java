/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One load generator's part of a test that several run at once ({@code --shard I/N}): its share of the users, the
 * rate and the in-flight limit, and its own seed. The shares add up to the whole: shard {@code I} of {@code N} gets
 * {@code floor(U / N)} users, plus one if {@code I <= U mod N}, so {@code 1/1} is exactly the unsharded run.
 *
 * @param index which shard, from 1
 * @param count how many shards the test has
 */
public record Shard(int index, int count) {
    /** The most shards a test may have. */
    public static final int MAX = 64;
    /** The unsharded run: shard 1 of 1. */
    public static final Shard WHOLE = new Shard(1, 1);
    /**
     * Added to the seed once per shard after the first: the 64-bit golden ratio, the gamma SplittableRandom itself uses
     * to space seeds, so neighbouring shards' sequences share nothing.
     */
    public static final long SEED_STEP = 0x9E3779B97F4A7C15L;

    private static final Pattern SYNTAX = Pattern.compile("(\\d{1,9})/(\\d{1,9})");

    /**
     * A shard.
     *
     * @param index which shard, 1 to {@code count}
     * @param count how many, 1 to {@link #MAX}
     * @throws ConfigException if either is out of range
     */
    public Shard {
        if (count < 1 || count > MAX || index < 1 || index > count) {
            throw new ConfigException("--shard must be I/N with 1 <= I <= N <= " + MAX + ", was '" + index + "/" + count
                                              + "'");
        }
    }

    /**
     * Parses {@code I/N}.
     *
     * @param text the value of {@code --shard}
     * @return the shard
     * @throws ConfigException if it is not {@code I/N} with {@code 1 <= I <= N <= 64}
     */
    public static Shard parse(String text) {
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new ConfigException("--shard must be I/N with 1 <= I <= N <= " + MAX + " (e.g. 2/3), was '" + text
                                              + "'");
        }
        int index = Integer.parseInt(m.group(1));
        int count = Integer.parseInt(m.group(2));
        if (count < 1 || count > MAX || index < 1 || index > count) {
            throw new ConfigException("--shard must be I/N with 1 <= I <= N <= " + MAX + ", was '" + text + "'");
        }
        return new Shard(index, count);
    }

    /**
     * Whether this is shard 1, the one that starts stress and faults and judges from Prometheus.
     *
     * @return {@code true} for shard 1 (and for an unsharded run)
     */
    public boolean first() {
        return index == 1;
    }

    /**
     * This shard's share of a whole number: {@code floor(total / N)}, plus one for the first {@code total mod N}
     * shards.
     *
     * @param total the whole test's number
     * @return this shard's part; the parts of shards 1..N add up to {@code total}
     */
    public int share(int total) {
        return total / count + (index <= total % count ? 1 : 0);
    }

    /**
     * This shard's share of a rate: an N-th.
     *
     * @param total the whole test's rate
     * @return this shard's rate
     */
    public double share(double total) {
        return total / count;
    }

    /**
     * This shard's seed: {@code seed + (I - 1) * 0x9E3779B97F4A7C15}, modulo 2^64, so shard 1 keeps the seed given.
     *
     * @param seed the test's seed ({@code --seed})
     * @return this shard's seed
     */
    public long seed(long seed) {
        return seed + (index - 1) * SEED_STEP;
    }

    /**
     * The stage as this shard runs it: its share of the users (at both ends of the ramp) and, in the open model, its
     * part of the schedule (every N-th request, an N-th of the rate); everything else, the lengths, the mix and the
     * fault's timing included, as the whole test's.
     *
     * @param stage the whole test's stage
     * @return this shard's part of it
     */
    public Stage apply(Stage stage) {
        return new Stage(stage.name(), share(stage.fromUsers()), share(stage.users()), stage.rate(), stage.ramp(),
                         stage.duration(), stage.readRatio(), stage.thinkMin(), stage.thinkMax(), stage.stress(),
                         stage.fault(), this);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
