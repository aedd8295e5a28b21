/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.engine;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.target.OrderClient;
import dev.promdemo.loadtest.target.Verifier;
import dev.promdemo.loadtest.target.Workload;

/**
 * The open model as wrk2 runs it: request k is due at start + k / rate (after a linear ramp of the rate, see
 * {@link Stage#dueNanos}), whatever the responses do. One pacer (the calling thread) hands each due request to a new
 * virtual thread, which sends it with a blocking call and records it, up to {@code maxInFlight} at once (wrk2's
 * connections); at that limit the next request goes out late, and the delay is its schedule lag and part of its
 * corrected latency. Requests still unsent 20 ms after the end of the stage are not sent (they count as dropped).
 *
 * <p>The pacer sleeps in slices of at least {@link #BATCH_NANOS} and then starts every request that came due: above
 * 1,000 req/s a wake-up per request cost more CPU than the requests
 * (docs/benchmarks/2026-11-24-request-path-profile.md).
 */
final class OpenModel extends LoadModel {
    /** The pacer's shortest sleep; a request goes out at most this much late because of it, and that counts. */
    private static final long BATCH_NANOS = 1_000_000;

    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Thread.Builder senders = Thread.ofVirtual();
    private volatile Thread pacer;
    private volatile boolean pacerWaiting;

    OpenModel(OrderClient client, Workload workload, Verifier.Sample created, int maxInFlight,
              Duration requestTimeout) {
        super(client, workload, created, requestTimeout);
        this.maxInFlight = maxInFlight;
    }

    @Override
    public void run(StageRecording rec, SplittableRandom random) {
        Stage stage = rec.stage();
        long start = rec.startNanos();
        long end = start + stage.length().toNanos();
        rec.targetUsers(0);
        pacer = Thread.currentThread();
        long k = 0;
        while (!stopped()) {
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
            if (inFlight.get() >= maxInFlight) {
                pacerWaiting = true;
                if (inFlight.get() >= maxInFlight) {
                    LockSupport.parkNanos(TICK_NANOS); // a completing request unparks it sooner
                }
                pacerWaiting = false;
                continue;
            }
            k++;
            inFlight.incrementAndGet();
            rec.userStarted();
            // Drawn here, in schedule order, so a seed gives the same sequence whichever thread sends it.
            Workload.Request request = workload().draw(random, stage.readRatio());
            senders.start(() -> {
                try {
                    exchange(rec, request, intended);
                } finally {
                    inFlight.decrementAndGet();
                    rec.userEnded();
                    if (pacerWaiting) {
                        LockSupport.unpark(pacer);
                    }
                }
            });
        }
        rec.dropped(Math.max(0, stage.dueInStage() - k));
        long deadline = Math.max(System.nanoTime(), end) + drainNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            pacerWaiting = true;
            LockSupport.parkNanos(TICK_NANOS);
        }
        pacerWaiting = false;
    }
}
