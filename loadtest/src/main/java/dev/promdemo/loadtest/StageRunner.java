/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends a stage's load: virtual users (closed model) or a fixed arrival rate (open model).
 */
final class StageRunner {
    private static final long TICK_NANOS = 20_000_000;

    private final OrderClient client;
    private final Workload workload;
    private final Verifier.Sample created;
    private final int maxInFlight;
    private final Duration requestTimeout;
    private final AtomicInteger active = new AtomicInteger();
    private volatile int target;
    private volatile boolean stopped;

    StageRunner(OrderClient client, Workload workload, Verifier.Sample created, int maxInFlight,
                Duration requestTimeout) {
        this.client = client;
        this.workload = workload;
        this.created = created;
        this.maxInFlight = maxInFlight;
        this.requestTimeout = requestTimeout;
    }

    /**
     * Runs the stage to its end, or until {@link #stop()}.
     *
     * @param rec where to record
     * @param random the stage's random source; each user (or the dispatcher) splits its own from it
     */
    void run(StageRecording rec, SplittableRandom random) {
        if (rec.stage().open()) {
            runOpen(rec, random);
        } else {
            runClosed(rec, random);
        }
    }

    /**
     * Ends the running stage early; requests in flight finish and are recorded.
     */
    void stop() {
        stopped = true;
    }

    /**
     * Users running now (open model: requests in flight).
     *
     * @return the count
     */
    int active() {
        return active.get();
    }

    /**
     * Users wanted now (0 in the open model).
     *
     * @return the count
     */
    int target() {
        return target;
    }

    private void runClosed(StageRecording rec, SplittableRandom random) {
        Stage stage = rec.stage();
        long start = rec.startNanos();
        long end = start + stage.length().toNanos();
        List<Thread> users = new ArrayList<>();
        LoadMetrics.StageMetrics metrics = rec.metrics();
        while (!stopped) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            target = stage.targetUsers(now - start);
            metrics.targetUsers().set(target);
            while (users.size() < target) {
                int index = users.size();
                SplittableRandom own = random.split();
                users.add(Thread.ofVirtual().name("user-" + index).start(() -> user(rec, index, own, end)));
            }
            LockSupport.parkNanos(Math.min(TICK_NANOS, end - now));
        }
        stopped = true;
        awaitAll(users);
        target = 0;
    }

    private void user(StageRecording rec, int index, SplittableRandom random, long end) {
        Stage stage = rec.stage();
        LoadMetrics.StageMetrics metrics = rec.metrics();
        active.incrementAndGet();
        metrics.activeUsers().inc();
        try {
            long intended = System.nanoTime();
            while (!stopped && index < target) {
                if (!sleepUntil(intended) || intended >= end) {
                    break;
                }
                send(rec, workload.next(random, stage.readRatio()), random, intended);
                intended = System.nanoTime() + think(stage, random);
            }
        } finally {
            active.decrementAndGet();
            metrics.activeUsers().dec();
        }
    }

    private static long think(Stage stage, SplittableRandom random) {
        long min = stage.thinkMin().toNanos();
        long max = stage.thinkMax().toNanos();
        return max > min ? min + random.nextLong(max - min + 1) : min;
    }

    /** Sleeps until a time in short slices, so a stop is noticed; returns false if stopped meanwhile. */
    private boolean sleepUntil(long deadline) {
        while (!stopped) {
            long wait = deadline - System.nanoTime();
            if (wait <= 0) {
                return true;
            }
            LockSupport.parkNanos(Math.min(wait, 100_000_000));
        }
        return false;
    }

    private void runOpen(StageRecording rec, SplittableRandom random) {
        Stage stage = rec.stage();
        long start = rec.startNanos();
        long end = start + stage.length().toNanos();
        double period = 1e9 / stage.rate();
        Semaphore slots = new Semaphore(maxInFlight);
        LoadMetrics.StageMetrics metrics = rec.metrics();
        target = 0;
        metrics.targetUsers().set(0);
        SplittableRandom own = random.split();
        for (long k = 0; !stopped; k++) {
            long intended = start + (long) (k * period);
            if (intended >= end) {
                break;
            }
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            slots.acquireUninterruptibly();
            Operation op = workload.next(own, stage.readRatio());
            long readId = op == Operation.READ ? workload.readId(own) : 0;
            NewOrder order = op == Operation.WRITE ? workload.newOrder(own) : null;
            active.incrementAndGet();
            metrics.activeUsers().inc();
            Thread.ofVirtual().start(() -> {
                try {
                    sendPlanned(rec, op, readId, order, intended);
                } finally {
                    active.decrementAndGet();
                    metrics.activeUsers().dec();
                    slots.release();
                }
            });
        }
        stopped = true;
        // Wait for the requests in flight: all slots free again.
        try {
            slots.tryAcquire(maxInFlight, requestTimeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void send(StageRecording rec, Operation op, SplittableRandom random, long intended) {
        long readId = op == Operation.READ ? workload.readId(random) : 0;
        NewOrder order = op == Operation.WRITE ? workload.newOrder(random) : null;
        sendPlanned(rec, op, readId, order, intended);
    }

    private void sendPlanned(StageRecording rec, Operation op, long readId, NewOrder order, long intended) {
        long sent = System.nanoTime();
        OrderClient.Result result = op == Operation.READ ? client.read(readId) : client.write(order);
        long received = System.nanoTime();
        rec.record(op, result.outcome(), intended, sent, received);
        if (op == Operation.WRITE && result.outcome() == Outcome.OK) {
            workload.created(result.orderId());
            created.offer(result.orderId(), order);
        }
    }

    private void awaitAll(List<Thread> users) {
        long deadline = System.nanoTime() + requestTimeout.toNanos() + 2_000_000_000L;
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
