/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.target;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.promdemo.loadtest.plan.Outcome;

/**
 * The API as the generator sees it: one request, sent and read to the end on the calling (virtual) thread, classified
 * into an {@link Outcome}.
 *
 * <p>The client is the JDK's {@code java.net.http.HttpClient}: HTTP/1.1 (the default HTTP/2 would send
 * {@code Upgrade: h2c} on every cleartext request), keep-alive, no redirects, and blocking {@code send} from the
 * caller's virtual thread, which runs the exchange inline until it has to wait for the selector. One client per run,
 * so connections are shared; there are never more than requests in flight (users, or {@code --max-in-flight}).
 *
 * <p>What keeps it cheap (docs/benchmarks/2026-12-05-load-generator-jdk-client.md):
 * <ul>
 * <li>the client's executor runs its tasks in place, on its selector thread, as an event loop would; the default
 * pool, a virtual-thread executor and a second client each gave a lower ceiling;</li>
 * <li>no per-request timeout timer: the client's timer queue is a lock the selector thread also takes. One sweeper
 * thread interrupts requests past {@code timeout}; {@code send} then cancels the exchange;</li>
 * <li>a body is kept only when the status is the expected one; any other status is discarded unread;</li>
 * <li>a read is checked by streaming the JSON to its {@code order_id} field, without building a tree.</li>
 * </ul>
 */
public final class OrderClient implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final JsonFactory STREAM = JSON.getFactory();
    private static final long SWEEP_NANOS = 5_000_000;
    /** How long the preflight and the verification pass wait out 503 answers. */
    private static final Duration UNAVAILABLE_PATIENCE = Duration.ofSeconds(20);

    private final URI base;
    private final Duration timeout;
    private final Duration connectTimeout;
    private final HttpClient client;
    private final String ordersUri;
    private final URI postUri;
    /** Requests in flight, by the thread waiting for each; the sweeper ends those past their deadline. */
    private final Map<Thread, Exchange> inFlight = new ConcurrentHashMap<>();
    private final Thread sweeper;
    private volatile boolean closed;

    /**
     * Creates the client; no connection is opened until the first request.
     *
     * @param base the API's base URL (http or https); only its scheme, host and port are used
     * @param connectTimeout how long opening a connection may take
     * @param timeout how long a request may take, from sending it to its full response
     */
    public OrderClient(URI base, Duration connectTimeout, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.connectTimeout = connectTimeout;
        String origin = base.getScheme() + "://" + base.getRawAuthority();
        this.ordersUri = origin + "/api/order/";
        this.postUri = URI.create(origin + "/api/order");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                // The client's own tasks (reading a response, completing its future) run where they are raised, on
                // its selector thread: a hop to another executor per step cost more than the steps themselves.
                .executor(Runnable::run)
                .build();
        this.sweeper = Thread.ofPlatform().daemon().name("loadtest-timeouts").start(this::sweep);
    }

    /**
     * The client's settings, for the record in the summary.
     *
     * @return name and value of each setting
     */
    public Map<String, Object> settings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("library", "java.net.http.HttpClient (JDK " + Runtime.version() + ")");
        settings.put("http_version", "HTTP/1.1");
        settings.put("executor", "virtual threads (blocking send, one per user or per open-model request); the "
                + "client's own tasks run in place on its selector thread");
        settings.put("request_timeout_s", timeout.toMillis() / 1000.0);
        settings.put("connect_timeout_s", connectTimeout.toMillis() / 1000.0);
        settings.put("keepalive_timeout_s", Long.getLong("jdk.httpclient.keepalive.timeout", 30));
        return settings;
    }

    /**
     * The outcome of one request.
     *
     * @param outcome how it ended
     * @param orderId the order read or created, or 0
     * @param detail what went wrong, or {@code null}
     */
    public record Result(Outcome outcome, long orderId, String detail) {
        static Result ok(long orderId) {
            return new Result(Outcome.OK, orderId, null);
        }
    }

    /**
     * Reads an order that should exist; blocks until the response is in or the request failed.
     *
     * @param id the order id
     * @return OK if a 200 with that order came back; never throws
     */
    public Result read(long id) {
        Answer answer;
        try {
            answer = exchange(getOrder(id), 200);
        } catch (Failure f) {
            return f.result;
        }
        if (answer.status() != 200) {
            return new Result(Outcome.ofStatus(answer.status()), 0, "status " + answer.status());
        }
        long found = orderId(answer.body());
        return found == id ? Result.ok(id) : new Result(Outcome.CHECK_FAILED, 0, "order_id " + found + " != " + id);
    }

    /**
     * Creates an order, and checks that the API returns exactly what was sent; blocks until the response is in.
     *
     * @param order the order
     * @return OK with the new id if a 201 with a matching order came back; never throws
     */
    public Result write(NewOrder order) {
        HttpRequest request = HttpRequest.newBuilder(postUri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(order.json())).build();
        Answer answer;
        try {
            answer = exchange(request, 201);
        } catch (Failure f) {
            return f.result;
        }
        if (answer.status() != 201) {
            return new Result(Outcome.ofStatus(answer.status()), 0, "status " + answer.status());
        }
        try {
            JsonNode body = JSON.readTree(answer.body());
            long id = body.path("order_id").asLong(0);
            String difference = id < 1 ? "no order_id in " + body : order.difference(body);
            return difference == null ? Result.ok(id) : new Result(Outcome.CHECK_FAILED, 0, difference);
        } catch (IOException | RuntimeException e) {
            return new Result(Outcome.CHECK_FAILED, 0, "unreadable body: " + e.getMessage());
        }
    }

    /**
     * Reads an order for the verification pass.
     *
     * @param id the order id
     * @return the order's JSON, {@code null} if the API answered 404
     * @throws IOException if the API could not be reached or answered anything else
     */
    JsonNode fetch(long id) throws IOException {
        Answer answer = get(id);
        if (answer.status() == 404) {
            return null;
        }
        if (answer.status() != 200) {
            throw new IOException("GET /api/order/" + id + " answered " + answer.status());
        }
        return JSON.readTree(answer.body());
    }

    /**
     * Whether an order exists, for finding the id range at preflight.
     *
     * @param id the order id
     * @return {@code true} for 200, {@code false} for 404
     * @throws IOException if the target cannot be reached or answers anything else
     */
    boolean exists(long id) throws IOException {
        int status = get(id).status();
        return switch (status) {
            case 200 -> true;
            case 404 -> false;
            default -> throw new IOException("GET /api/order/" + id + " answered " + status
                                                     + "; is " + base + " the order API?");
        };
    }

    /**
     * A GET for the preflight and the verification pass. A 503 (the API shedding load, or its database briefly
     * down) is waited out for up to {@link #UNAVAILABLE_PATIENCE}, as its {@code Retry-After} asks (1 to 5 s a
     * time): neither pass is load, and neither should fail on a moment's overload.
     */
    private Answer get(long id) throws IOException {
        long deadline = System.nanoTime() + UNAVAILABLE_PATIENCE.toNanos();
        while (true) {
            Answer answer;
            try {
                answer = exchange(getOrder(id), 200);
            } catch (Failure f) {
                throw new IOException(f.result.detail(), f.getCause());
            }
            long wait = Math.min(5, Math.max(1, answer.retryAfterSeconds())) * 1_000_000_000L;
            if (answer.status() != 503 || System.nanoTime() + wait > deadline) {
                return answer;
            }
            try {
                Thread.sleep(Duration.ofNanos(wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while the API answered 503", e);
            }
        }
    }

    private HttpRequest getOrder(long id) {
        return HttpRequest.newBuilder(URI.create(ordersUri + id)).build();
    }

    /**
     * Sends a request and reads its response: the body only if the status is the expected one.
     *
     * @throws Failure if no response came: the result says why
     */
    private Answer exchange(HttpRequest request, int expected) throws Failure {
        Thread self = Thread.currentThread();
        Exchange ex = new Exchange(System.nanoTime() + timeout.toNanos());
        inFlight.put(self, ex);
        try {
            HttpResponse<byte[]> response = client.send(request, info -> info.statusCode() == expected
                    ? HttpResponse.BodySubscribers.ofByteArray()
                    : HttpResponse.BodySubscribers.replacing(null));
            return new Answer(response.statusCode(), response.body(),
                              response.headers().firstValueAsLong("Retry-After").orElse(1));
        } catch (InterruptedException e) {
            if (ex.finish()) {
                Thread.currentThread().interrupt();
                throw new Failure(new Result(Outcome.TIMEOUT, 0, "interrupted"), e);
            }
            throw new Failure(new Result(Outcome.TIMEOUT, 0, "no response within " + timeout), e);
        } catch (HttpConnectTimeoutException e) {
            throw new Failure(new Result(Outcome.CONNECT_ERROR, 0, "connect timed out"), e);
        } catch (HttpTimeoutException e) {
            throw new Failure(new Result(Outcome.TIMEOUT, 0, "no response within " + timeout), e);
        } catch (ConnectException e) {
            throw new Failure(new Result(Outcome.CONNECT_ERROR, 0, "ConnectException: " + e.getMessage()), e);
        } catch (IOException e) {
            // Reset, closed early: no response, so it is a connection-level error.
            throw new Failure(new Result(Outcome.CONNECT_ERROR, 0, e.getClass().getSimpleName() + ": "
                    + e.getMessage()), e);
        } finally {
            inFlight.remove(self);
            if (!ex.finish()) {
                // The sweeper timed it out just as it completed: its interrupt is (or is about to be) pending.
                Thread.interrupted();
            }
        }
    }

    /** Interrupts the requests past their deadline, every few milliseconds, until the client is closed. */
    private void sweep() {
        while (!closed) {
            long now = System.nanoTime();
            for (Map.Entry<Thread, Exchange> e : inFlight.entrySet()) {
                if (now - e.getValue().deadline > 0) {
                    e.getValue().expire(e.getKey());
                }
            }
            LockSupport.parkNanos(SWEEP_NANOS);
        }
    }

    /**
     * The {@code order_id} field of a top-level JSON object, read by streaming to it.
     *
     * @return the id, or -1 if it is missing or the body is not such an object
     */
    private static long orderId(byte[] body) {
        try (JsonParser p = STREAM.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return -1;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals("order_id")) {
                    return value == JsonToken.VALUE_NUMBER_INT ? p.getLongValue() : -1;
                }
                p.skipChildren();
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Closes the connections. Stages wait for their requests (each ends by its timeout) before the run closes the
     * client.
     */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(sweeper);
        client.shutdownNow();
    }

    /** One request in flight: its deadline, and who ended it first, the request or the sweeper. */
    private static final class Exchange {
        final long deadline;
        private boolean done;
        private boolean expired;

        Exchange(long deadline) {
            this.deadline = deadline;
        }

        /** Marks it done by the request; returns false if the sweeper had expired it first. */
        synchronized boolean finish() {
            done = true;
            return !expired;
        }

        synchronized void expire(Thread waiting) {
            if (!done && !expired) {
                expired = true;
                waiting.interrupt();
            }
        }
    }

    private record Answer(int status, byte[] body, long retryAfterSeconds) {
    }

    /** No response came; carries the result that says why. */
    private static final class Failure extends Exception {
        private final transient Result result;

        Failure(Result result, Throwable cause) {
            super(result.detail(), cause, false, false);
            this.result = result;
        }
    }
}
