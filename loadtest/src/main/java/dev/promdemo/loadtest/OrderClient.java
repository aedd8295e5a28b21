/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

/**
 * The API as the generator sees it: one request, its full body read, classified into an {@link Outcome}.
 *
 * <p>The client is Vert.x's (Netty underneath), HTTP/1.1 with keep-alive, on one event loop. The JDK's
 * {@code HttpClient} cost three times the CPU per request, which on a shared machine is CPU taken from the API under
 * test (docs/benchmarks.md, "Load generator"). One client per run, so connections are shared by the users, at most
 * {@code maxConnections}; the open model's in-flight limit and the closed model's users never need more.
 *
 * <p>{@link #read} and {@link #write} return at once with a future of the result. The response is read, checked and
 * recorded on the event loop: that work is a few microseconds, less than handing it to another thread would cost.
 * A request times out when no byte of its response has come within the timeout (Vert.x's idle timeout, counted from
 * when the request is written).
 */
final class OrderClient implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final URI base;
    private final Duration timeout;
    private final Vertx vertx;
    /** The event loop's context: every request is started there, so its callbacks never race the loop. */
    private final Context loop;
    private final HttpClientAgent client;
    private final RequestOptions get;
    private final RequestOptions post;

    /**
     * Creates the client; no connection is opened until the first request.
     *
     * @param base the API's base URL (http or https); only its scheme, host and port are used
     * @param connectTimeout how long getting a connection (opening one, or waiting for a free one) may take
     * @param timeout how long a response may take to start
     * @param maxConnections the most connections open at once
     */
    OrderClient(URI base, Duration connectTimeout, Duration timeout, int maxConnections) {
        this.base = base;
        this.timeout = timeout;
        boolean tls = "https".equals(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        // One event loop: the generator shares the machine with what it measures, and one loop handles the work of
        // many requests per wake-up.
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        this.loop = vertx.getOrCreateContext();
        this.client = vertx.httpClientBuilder()
                .with(new HttpClientOptions()
                              .setProtocolVersion(HttpVersion.HTTP_1_1)
                              .setKeepAlive(true)
                              .setSsl(tls)
                              .setConnectTimeout(Math.toIntExact(Math.min(connectTimeout.toMillis(), Integer.MAX_VALUE)))
                              .setDefaultHost(base.getHost())
                              .setDefaultPort(port))
                .with(new PoolOptions().setHttp1MaxSize(maxConnections))
                .build();
        this.get = new RequestOptions().setMethod(HttpMethod.GET)
                .setConnectTimeout(connectTimeout.toMillis()).setIdleTimeout(timeout.toMillis());
        this.post = new RequestOptions(get).setMethod(HttpMethod.POST).putHeader("Content-Type", "application/json");
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
        return exchange(getOrder(id), null, 200,
                        body -> body.path("order_id").asLong(-1) == id
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
        return exchange(new RequestOptions(post).setURI("/api/order"), Buffer.buffer(order.json()), 201,
                        body -> body.path("order_id").asLong(0) < 1 ? "no order_id in " + body : order.difference(body));
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

    /** A blocking GET for the preflight and the verification pass; never called on the event loop. */
    private Answer get(long id) throws IOException {
        try {
            return send(getOrder(id), null).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(String.valueOf(cause.getMessage()), cause);
        }
    }

    private RequestOptions getOrder(long id) {
        return new RequestOptions(get).setURI("/api/order/" + id);
    }

    /**
     * Sends a request and reads the whole response. The future fails if no response came; with a ConnectException
     * when no connection could be had, so nothing was sent.
     *
     * <p>The exchange starts on the event loop. Started from another thread, the callback that asks for the body
     * could run after the body had arrived, and Vert.x would hand it an empty buffer (seen under load: a 200 with
     * {@code Content-Length: 266} read as empty).
     */
    private CompletableFuture<Answer> send(RequestOptions options, Buffer body) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        loop.runOnContext(ignored -> client.request(options)
                .recover(failure -> Future.failedFuture(notConnected(failure)))
                .compose(request -> body == null ? request.send() : request.send(body))
                .compose(response -> response.body().map(bytes -> new Answer(response.statusCode(), bytes.getBytes())))
                .onComplete(done -> {
                    if (done.succeeded()) {
                        answer.complete(done.result());
                    } else {
                        answer.completeExceptionally(done.cause());
                    }
                }));
        return answer;
    }

    private CompletableFuture<Result> exchange(RequestOptions options, Buffer body, int expected, Check check) {
        return send(options, body).handle((answer, failure) -> failure == null ? checked(answer, expected, check)
                : failed(failure));
    }

    private static Result checked(Answer answer, int expected, Check check) {
        int status = answer.status();
        if (status != expected) {
            return new Result(Outcome.ofStatus(status), 0, "status " + status);
        }
        try {
            JsonNode body = JSON.readTree(answer.body());
            String difference = check.difference(body);
            return difference == null ? Result.ok(body.path("order_id").asLong())
                    : new Result(Outcome.CHECK_FAILED, 0, difference);
        } catch (IOException | RuntimeException e) {
            return new Result(Outcome.CHECK_FAILED, 0, "unreadable body: " + e.getMessage());
        }
    }

    private Result failed(Throwable cause) {
        if (cause instanceof ConnectException) {
            return new Result(Outcome.CONNECT_ERROR, 0, String.valueOf(cause.getMessage()));
        }
        if (cause instanceof TimeoutException) {
            return new Result(Outcome.TIMEOUT, 0, "no response within " + timeout);
        }
        // Reset, closed early, refused after connecting: no response, so it is a connection-level error.
        return new Result(Outcome.CONNECT_ERROR, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    /** No connection could be had (refused, timed out, or none free in time): nothing was sent. */
    private static ConnectException notConnected(Throwable failure) {
        if (failure instanceof ConnectException connect) {
            return connect;
        }
        ConnectException e = new ConnectException(failure.getClass().getSimpleName() + ": " + failure.getMessage());
        e.initCause(failure);
        return e;
    }

    /**
     * Closes the connections and stops the event loop. Stages wait for their requests (each ends by its timeout)
     * before the run closes the client; any request still in flight fails as a connection error.
     */
    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Nothing left to do: the run is over.
        }
    }

    private record Answer(int status, byte[] body) {
    }

    @FunctionalInterface
    private interface Check {
        String difference(JsonNode body);
    }
}
