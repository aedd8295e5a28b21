/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.target.OrderClient;
import dev.promdemo.loadtest.target.Verifier;
import dev.promdemo.loadtest.target.Workload;

/**
 * Locust's model: virtual users, one virtual thread each, ramped linearly to the stage's count. A user sends one
 * request, blocks until its full response, thinks for a uniform random time, and repeats. Its next request is
 * intended at the previous response plus the think time.
 */
final class ClosedModel extends LoadModel {
    private volatile int target;

    ClosedModel(OrderClient client, Workload workload, Verifier.Sample created, Duration requestTimeout) {
        super(client, workload, created, requestTimeout);
    }

    @Override
    public void run(StageRecording rec, SplittableRandom random) {
        Stage stage = rec.stage();
        long start = rec.startNanos();
        long end = start + stage.length().toNanos();
        List<Thread> users = new ArrayList<>();
        while (!stopped()) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            target = stage.targetUsers(now - start);
            rec.targetUsers(target);
            while (users.size() < target) {
                int index = users.size();
                SplittableRandom own = random.split();
                users.add(Thread.ofVirtual().name("user-" + index).start(() -> user(rec, index, own, end)));
            }
            LockSupport.parkNanos(Math.min(TICK_NANOS, end - now));
        }
        stop();
        awaitAll(users, end);
        target = 0;
        rec.targetUsers(0);
    }

    private void user(StageRecording rec, int index, SplittableRandom random, long end) {
        Stage stage = rec.stage();
        rec.userStarted();
        try {
            long intended = System.nanoTime();
            while (!stopped() && index < target) {
                if (!sleepUntil(intended) || intended >= end) {
                    break;
                }
                exchange(rec, workload().draw(random, stage.readRatio()), intended);
                intended = System.nanoTime() + think(stage, random);
            }
        } finally {
            rec.userEnded();
        }
    }

    private static long think(Stage stage, SplittableRandom random) {
        long min = stage.thinkMin().toNanos();
        long max = stage.thinkMax().toNanos();
        return max > min ? min + random.nextLong(max - min + 1) : min;
    }

    /** Sleeps until a time in short slices, so a stop is noticed; returns false if stopped meanwhile. */
    private boolean sleepUntil(long deadline) {
        while (!stopped()) {
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                return true;
            }
            LockSupport.parkNanos(Math.min(wait, 100_000_000));
        }
        return false;
    }

    private void awaitAll(List<Thread> users, long end) {
        long deadline = Math.max(System.nanoTime(), end) + drainNanos();
        for (Thread user : users) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !user.join(Duration.ofNanos(left))) {
                    user.interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
