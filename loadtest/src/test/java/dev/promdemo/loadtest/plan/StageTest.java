/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The open model's schedule: when each request is due, through the ramp and after it.
 */
class StageTest {
    private static Stage open(double rate, Duration ramp, Duration duration) {
        return new Stage("s", 0, 0, rate, ramp, duration, 1.0, Duration.ZERO, Duration.ZERO, false);
    }

    @Test
    void withoutARampRequestsAreDueAtFixedIntervals() {
        Stage stage = open(1000, Duration.ZERO, Duration.ofSeconds(10));
        assertEquals(0, stage.dueNanos(0));
        assertEquals(1_000_000, stage.dueNanos(1));
        assertEquals(5_000_000_000L, stage.dueNanos(5000));
        assertEquals(10_000, stage.dueInStage());
    }

    @Test
    void theRateRisesLinearlyOverTheRampThenStays() {
        // 100/s after a 10 s ramp: 500 requests are due during the ramp (the area of the triangle), then 100/s.
        Stage stage = open(100, Duration.ofSeconds(10), Duration.ofSeconds(20));
        assertEquals(0, stage.dueNanos(0));
        assertEquals(10_000_000_000L, stage.dueNanos(500), 1_000);
        assertEquals(5_000_000_000L, stage.dueNanos(125), 1_000, "a quarter of the ramp's requests by its middle");
        assertEquals(20_000_000_000L, stage.dueNanos(1500), 1_000);
        assertEquals(2500, stage.dueInStage());
        // The intervals shrink through the ramp and are 10 ms after it.
        long early = stage.dueNanos(2) - stage.dueNanos(1);
        long late = stage.dueNanos(400) - stage.dueNanos(399);
        assertTrue(early > late && late > 10_000_000, early + " then " + late);
        assertEquals(10_000_000, stage.dueNanos(1001) - stage.dueNanos(1000), 1);
    }
}
