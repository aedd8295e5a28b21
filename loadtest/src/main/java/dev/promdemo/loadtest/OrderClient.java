/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The API as the generator sees it: one request, its full body read, classified into an {@link Outcome}.
 *
 * <p>The JDK client is forced to HTTP/1.1 (its default, HTTP/2, adds an {@code Upgrade: h2c} attempt to every
 * cleartext request) and never follows redirects. One client per run, so connections are shared by the users, at
 * most one per request in flight.
 *
 * <p>{@link #read} and {@link #write} return at once with a future of the result. The client's own work (reading the response, completing its future, checking the body)
 * runs on its selector thread: the work is a few microseconds, and handing it to another thread cost more than the
 * work itself (see docs/benchmarks.md, "Load generator"). Timeouts are enforced by one sweeper thread that cancels
 * overdue requests, oldest first, rather than by a timer per request: a per-request timer goes through the client's
 * selector thread under a lock, which halved throughput in profiles.
 */
final class OrderClient implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    /** How often the sweeper looks for overdue requests; a timeout fires at most this much late. */
    private static final long SWEEP_NANOS = 10_000_000;
    private static final Executor SAME_THREAD = Runnable::run;

    private final URI base;
    private final Duration timeout;
    private final long timeoutNanos;
    private final HttpClient client;
    /** Requests in flight in the order they were sent; all share one timeout, so the head is the first due. */
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final Thread sweeper;
    private volatile boolean closed;

    OrderClient(URI base, Duration connectTimeout, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(SAME_THREAD)
                .build();
        this.sweeper = Thread.ofPlatform().daemon().name("loadtest-timeouts").start(this::sweep);
    }

    /**
     * The outcome of one request.
     *
     * @param outcome how it ended
     * @param orderId the order read or created, or 0
     * @param detail what went wrong, or {@code null}
     */
    record Result(Outcome outcome, long orderId, String detail) {
        static Result ok(long orderId) {
            return new Result(Outcome.OK, orderId, null);
        }
    }

    /**
     * Starts reading an order that should exist.
     *
     * @param id the order id
     * @return OK if a 200 with that order came back, once the response is in; never completes exceptionally
     */
    CompletableFuture<Result> read(long id) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/order/" + id)).GET().build();
        return exchange(request, 200, body -> body.path("order_id").asLong(-1) == id
                ? null : "order_id " + body.path("order_id") + " != " + id);
    }

    /**
     * Starts creating an order, and checks that the API returns exactly what was sent.
     *
     * @param order the order
     * @return OK with the new id if a 201 with a matching order came back, once the response is in; never completes
     *         exceptionally
     */
    CompletableFuture<Result> write(NewOrder order) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/order"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(order.json())).build();
        return exchange(request, 201, body -> body.path("order_id").asLong(0) < 1
                ? "no order_id in " + body : order.difference(body));
    }

    /**
     * Reads an order for the verification pass.
     *
     * @param id the order id
     * @return the order's JSON, {@code null} if the API answered 404
     * @throws IOException if the API could not be reached or answered anything else
     */
    JsonNode fetch(long id) throws IOException {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(base.resolve("/api/order/" + id))
                                                     .timeout(timeout).GET().build());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET /api/order/" + id + " answered " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    /**
     * Whether an order exists, for finding the id range at preflight.
     *
     * @param id the order id
     * @return {@code true} for 200, {@code false} for 404
     * @throws IOException if the target cannot be reached or answers anything else
     */
    boolean exists(long id) throws IOException {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(base.resolve("/api/order/" + id))
                                                     .timeout(timeout).GET().build());
        return switch (response.statusCode()) {
            case 200 -> true;
            case 404 -> false;
            default -> throw new IOException("GET /api/order/" + id + " answered " + response.statusCode()
                                                     + "; is " + base + " the order API?");
        };
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws IOException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private CompletableFuture<Result> exchange(HttpRequest request, int expected, Check check) {
        CompletableFuture<HttpResponse<byte[]>> response;
        try {
            response = client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (RuntimeException e) {
            // A closed client, or a request it refuses outright.
            return CompletableFuture.completedFuture(new Result(Outcome.CONNECT_ERROR, 0, String.valueOf(e)));
        }
        pending.add(new Pending(response, System.nanoTime() + timeoutNanos));
        return response.handle((answer, failure) -> failure == null ? checked(answer, expected, check)
                : failed(failure));
    }

    private static Result checked(HttpResponse<byte[]> response, int expected, Check check) {
        int status = response.statusCode();
        if (status != expected) {
            return new Result(Outcome.ofStatus(status), 0, "status " + status);
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            String difference = check.difference(body);
            return difference == null ? Result.ok(body.path("order_id").asLong())
                    : new Result(Outcome.CHECK_FAILED, 0, difference);
        } catch (IOException | RuntimeException e) {
            return new Result(Outcome.CHECK_FAILED, 0, "unreadable body: " + e.getMessage());
        }
    }

    private Result failed(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof CancellationException) {
            // Only the sweeper cancels, and only when the timeout has passed.
            return new Result(Outcome.TIMEOUT, 0, "no response within " + timeout);
        }
        if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
            return new Result(Outcome.CONNECT_ERROR, 0, String.valueOf(cause.getMessage()));
        }
        if (cause instanceof HttpTimeoutException) {
            return new Result(Outcome.TIMEOUT, 0, String.valueOf(cause.getMessage()));
        }
        // Reset, closed early, refused after connecting: no response, so it is a connection-level error.
        return new Result(Outcome.CONNECT_ERROR, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    /** Cancels requests whose timeout has passed; cancelling makes the client abort the exchange. */
    private void sweep() {
        while (!closed) {
            long now = System.nanoTime();
            for (Pending head = pending.peek(); head != null; head = pending.peek()) {
                if (head.response().isDone()) {
                    pending.poll();
                } else if (now - head.deadline() >= 0) {
                    pending.poll();
                    head.response().cancel(true);
                } else {
                    break;
                }
            }
            LockSupport.parkNanos(SWEEP_NANOS);
        }
    }

    @Override
    public void close() {
        client.close(); // waits for requests in flight, which the sweeper still ends at their timeout
        closed = true;
        LockSupport.unpark(sweeper);
    }

    private record Pending(CompletableFuture<HttpResponse<byte[]>> response, long deadline) {
    }

    @FunctionalInterface
    private interface Check {
        String difference(JsonNode body);
    }
}
