/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends a stage's load: virtual users (closed model) or a fixed arrival rate (open model).
 */
final class StageRunner {
    private static final long TICK_NANOS = 20_000_000;
    /**
     * The open model's pacer sleeps at least this long, then sends every request that has come due: at rates above
     * 1,000/s a wake-up per request cost the generator and the API more CPU than the requests (docs/benchmarks.md).
     * A request goes out at most this much late, and that is counted in its corrected latency and schedule lag.
     */
    private static final long BATCH_NANOS = 1_000_000;

    private final OrderClient client;
    private final Workload workload;
    private final Verifier.Sample created;
    private final int maxInFlight;
    private final Duration requestTimeout;
    private final AtomicInteger active = new AtomicInteger();
    private volatile int target;
    private volatile boolean stopped;
    private volatile Thread pacer;
    private volatile boolean pacerWaiting;
    /** The open model's senders: one virtual thread per request, started by the pacer. */
    private final Thread.Builder senders = Thread.ofVirtual();

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
        awaitAll(users, end);
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
                exchange(rec, workload.draw(random, stage.readRatio()), intended);
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

    /**
     * The open model as wrk2 runs it: request k is due at start + k / rate (after a linear ramp of the rate, see
     * {@link Stage#dueNanos}). One pacer (this thread) sends each request at its due time without waiting for
     * earlier ones, up to the limit of requests in flight (wrk2's connections); at the limit the next request goes
     * out late, and that delay is the schedule lag and part of the corrected latency. Responses are recorded as they
     * complete. Requests still unsent 20 ms after the end of the stage are not sent (they count as dropped).
     *
     * <p>A pacer rather than a thread per request in flight: a timed park and a blocking wait per request, each
     * waking a thread, cost the generator more CPU than the requests themselves (docs/benchmarks.md). For the same
     * reason the pacer sleeps in slices of at least {@link #BATCH_NANOS} and sends what came due in between.
     */
    private void runOpen(StageRecording rec, SplittableRandom random) {
        Stage stage = rec.stage();
        long start = rec.startNanos();
        long end = start + stage.length().toNanos();
        target = 0;
        rec.metrics().targetUsers().set(0);
        pacer = Thread.currentThread();
        long k = 0;
        while (!stopped) {
            long intended = start + stage.dueNanos(k);
            long now = System.nanoTime();
            // Slots due before the end still go out with the batch that wakes just after it (a wake-up can be a few
            // ms late on a busy machine); what is still unsent later than that is a backlog, and dropped.
            if (intended >= end || now >= end + TICK_NANOS) {
                break;
            }
            if (now < intended) {
                LockSupport.parkNanos(Math.min(Math.max(intended - now, BATCH_NANOS), TICK_NANOS));
                continue;
            }
            if (active.get() >= maxInFlight) {
                pacerWaiting = true;
                if (active.get() >= maxInFlight) {
                    LockSupport.parkNanos(TICK_NANOS); // a completing request unparks it sooner
                }
                pacerWaiting = false;
                continue;
            }
            k++;
            LoadMetrics.StageMetrics metrics = rec.metrics();
            active.incrementAndGet();
            metrics.activeUsers().inc();
            Workload.Request request = workload.draw(random, stage.readRatio());
            long due = intended;
            senders.start(() -> {
                try {
                    exchange(rec, request, due);
                } finally {
                    active.decrementAndGet();
                    metrics.activeUsers().dec();
                    if (pacerWaiting) {
                        LockSupport.unpark(pacer);
                    }
                }
            });
        }
        rec.dropped(Math.max(0, stage.dueInStage() - k));
        long deadline = Math.max(System.nanoTime(), end) + requestTimeout.toNanos() + 2_000_000_000L;
        while (active.get() > 0 && System.nanoTime() < deadline) {
            pacerWaiting = true;
            LockSupport.parkNanos(TICK_NANOS);
        }
        pacerWaiting = false;
    }

    /** Sends one request of the mix on this (virtual) thread and records it once its response is in. */
    private void exchange(StageRecording rec, Workload.Request request, long intended) {
        long sent = System.nanoTime();
        OrderClient.Result result = request.order() == null ? client.read(request.readId())
                : client.write(request.order());
        rec.record(request.op(), result.outcome(), intended, sent, System.nanoTime());
        if (request.order() != null && result.outcome() == Outcome.OK) {
            workload.created(result.orderId());
            created.offer(result.orderId(), request.order());
        }
    }

    private void awaitAll(List<Thread> users, long end) {
        long deadline = Math.max(System.nanoTime(), end) + requestTimeout.toNanos() + 2_000_000_000L;
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
