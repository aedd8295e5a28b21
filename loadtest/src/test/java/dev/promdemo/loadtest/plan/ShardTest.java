/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A sharded test's parts add up to the unsharded test: users, ramps and rates split exactly, seeds apart.
 */
class ShardTest {
    @Test
    void usersSplitExactlyAndAddUpToTheWhole() {
        for (int users : new int[] {0, 1, 2, 3, 7, 10, 40, 50, 101, 100_000}) {
            for (int count : new int[] {1, 2, 3, 4, 7, 10, 64}) {
                int sum = 0;
                for (int index = 1; index <= count; index++) {
                    int share = new Shard(index, count).share(users);
                    // floor(U/N), plus one for the first U mod N shards.
                    assertEquals(users / count + (index <= users % count ? 1 : 0), share, index + "/" + count);
                    sum += share;
                }
                assertEquals(users, sum, users + " users in " + count + " shards");
            }
        }
        assertEquals(List.of(4, 3, 3), List.of(new Shard(1, 3).share(10), new Shard(2, 3).share(10),
                                               new Shard(3, 3).share(10)));
        assertEquals(List.of(1, 1, 0, 0), List.of(new Shard(1, 4).share(2), new Shard(2, 4).share(2),
                                                  new Shard(3, 4).share(2), new Shard(4, 4).share(2)));
    }

    @Test
    void ratesSplitIntoEqualPartsThatAddUp() {
        for (double rate : new double[] {1, 100, 333, 1000.5}) {
            for (int count : new int[] {1, 2, 3, 7}) {
                double sum = 0;
                for (int index = 1; index <= count; index++) {
                    sum += new Shard(index, count).share(rate);
                }
                assertEquals(rate, sum, 1e-9);
            }
        }
        assertEquals(100.0 / 3, new Shard(2, 3).share(100.0), 1e-12);
    }

    @Test
    void aStageKeepsItsLengthsAndSplitsBothEndsOfItsRamp() {
        Fault fault = new Fault("db-slow", Duration.ofSeconds(60), Duration.ofSeconds(120), "slow");
        Stage rampDown = new Stage("ramp-down", 40, 0, 0, Duration.ofMinutes(1), Duration.ZERO, 0.5,
                                   Duration.ofSeconds(1), Duration.ofSeconds(3), true, fault);
        Stage part = new Shard(3, 3).apply(rampDown);
        assertEquals(13, part.fromUsers());
        assertEquals(0, part.users());
        assertEquals(rampDown.length(), part.length());
        assertEquals(fault, part.fault());
        assertTrue(part.stress());
        Stage open = new Stage("normal", 0, 0, 90, Duration.ZERO, Duration.ofSeconds(30), 0.5, Duration.ZERO,
                               Duration.ZERO, false);
        assertEquals(30, new Shard(2, 3).apply(open).partRate(), 1e-12);
        assertEquals(90, new Shard(2, 3).apply(open).rate(), 1e-12, "the schedule stays the whole test's");
        assertEquals(open, Shard.WHOLE.apply(open), "1/1 is the unsharded stage");
    }

    @Test
    void theShardsOfAnOpenModelSendExactlyTheWholeSchedule() {
        // Rates that divide unevenly, with and without a ramp: the shards' requests are the whole schedule's, at its
        // times, none twice and none left out, so their count is the unsharded count to the request.
        for (double rate : new double[] {100, 90, 7, 333.3}) {
            for (Duration ramp : List.of(Duration.ZERO, Duration.ofMillis(1500))) {
                Stage whole = new Stage("s", 0, 0, rate, ramp, Duration.ofSeconds(3), 0.5, Duration.ZERO,
                                        Duration.ZERO, false);
                List<Long> expected = due(whole);
                for (int count : new int[] {1, 2, 3, 7}) {
                    List<Long> union = new ArrayList<>();
                    long dueInStage = 0;
                    for (int index = 1; index <= count; index++) {
                        Stage part = new Shard(index, count).apply(whole);
                        union.addAll(due(part));
                        dueInStage += part.dueInStage();
                    }
                    union.sort(null);
                    assertEquals(expected, union, rate + "/s, ramp " + ramp + ", " + count + " shards");
                    assertEquals(whole.dueInStage(), dueInStage);
                }
            }
        }
    }

    /** The due times the open model sends, as it decides: every request due before the stage's end. */
    private static List<Long> due(Stage stage) {
        List<Long> times = new ArrayList<>();
        for (long k = 0; stage.dueNanos(k) < stage.length().toNanos(); k++) {
            times.add(stage.dueNanos(k));
        }
        return times;
    }

    @Test
    void everyShardHasItsOwnSeedAndShardOneKeepsTheGivenOne() {
        assertEquals(42, new Shard(1, 5).seed(42));
        assertEquals(42 + Shard.SEED_STEP, new Shard(2, 5).seed(42));
        assertEquals(42 + 2 * Shard.SEED_STEP, new Shard(3, 5).seed(42));
        Set<Long> seeds = new HashSet<>();
        for (int index = 1; index <= Shard.MAX; index++) {
            seeds.add(new Shard(index, Shard.MAX).seed(1));
        }
        assertEquals(Shard.MAX, seeds.size());
    }

    @Test
    void onlyIOfNWithinBoundsParses() {
        assertEquals(new Shard(2, 3), Shard.parse("2/3"));
        assertEquals(new Shard(64, 64), Shard.parse("64/64"));
        for (String bad : List.of("0/3", "4/3", "1/0", "1/65", "65/65", "-1/3", "2", "2/", "/3", "a/b", "2/3/4",
                                  " 2/3", "2 / 3", "", "99999999999/3")) {
            ConfigException e = assertThrows(ConfigException.class, () -> Shard.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), "the message names the value: " + e.getMessage());
        }
    }
}
