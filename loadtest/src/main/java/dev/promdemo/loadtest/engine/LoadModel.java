/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.engine;

import java.time.Duration;
import java.util.SplittableRandom;

import dev.promdemo.loadtest.measure.StageRecording;
import dev.promdemo.loadtest.plan.Outcome;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.target.OrderClient;
import dev.promdemo.loadtest.target.Verifier;
import dev.promdemo.loadtest.target.Workload;

/**
 * Sends one stage's load and records every request: virtual users ({@link ClosedModel}) or a fixed arrival rate
 * ({@link OpenModel}). A model only sends and records; what becomes of the recording is not its business.
 */
public abstract class LoadModel {
    /** How often the models look at the clock between events: the ramp's steps, the end of the stage. */
    static final long TICK_NANOS = 20_000_000;

    private final OrderClient client;
    private final Workload workload;
    private final Verifier.Sample created;
    private final Duration requestTimeout;
    private volatile boolean stopped;

    LoadModel(OrderClient client, Workload workload, Verifier.Sample created, Duration requestTimeout) {
        this.client = client;
        this.workload = workload;
        this.created = created;
        this.requestTimeout = requestTimeout;
    }

    /**
     * The model a stage asks for.
     *
     * @param stage the stage
     * @param client the API
     * @param workload what to send
     * @param created where created orders are kept for the verification pass
     * @param maxInFlight open model: the most requests in flight
     * @param requestTimeout the request timeout, to bound the wait for the last responses
     * @return the model
     */
    public static LoadModel of(Stage stage, OrderClient client, Workload workload, Verifier.Sample created,
                               int maxInFlight, Duration requestTimeout) {
        return stage.open() ? new OpenModel(client, workload, created, maxInFlight, requestTimeout)
                : new ClosedModel(client, workload, created, requestTimeout);
    }

    /**
     * Runs the stage to its end, or until {@link #stop()}; returns when its requests have been recorded.
     *
     * @param rec where to record
     * @param random the stage's random source; each user (or the pacer) splits its own from it
     */
    public abstract void run(StageRecording rec, SplittableRandom random);

    /**
     * Ends the running stage early; requests in flight finish and are recorded.
     */
    public void stop() {
        stopped = true;
    }

    boolean stopped() {
        return stopped;
    }

    /**
     * How long after the stage's end its last requests may still take: the timeout and a margin.
     *
     * @return nanoseconds
     */
    long drainNanos() {
        return requestTimeout.toNanos() + 2_000_000_000L;
    }

    /**
     * Sends one request on this (virtual) thread, blocking, and records it once its response is in.
     *
     * @param rec where to record
     * @param request what to send
     * @param intended when it was due ({@link System#nanoTime()})
     */
    void exchange(StageRecording rec, Workload.Request request, long intended) {
        long sent = System.nanoTime();
        OrderClient.Result result = request.order() == null ? client.read(request.readId())
                : client.write(request.order());
        rec.record(request.op(), result.outcome(), intended, sent, System.nanoTime());
        if (request.order() != null && result.outcome() == Outcome.OK) {
            workload.created(result.orderId());
            created.offer(result.orderId(), request.order());
        }
    }

    Workload workload() {
        return workload;
    }
}
