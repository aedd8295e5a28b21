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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The API as the generator sees it: one request, its full body read, classified into an {@link Outcome}.
 *
 * <p>The JDK client is forced to HTTP/1.1 (its default, HTTP/2, adds an {@code Upgrade: h2c} attempt to every
 * cleartext request), never follows redirects, and runs its internal work on virtual threads. One client per run, so
 * connections are shared by the users, at most one per request in flight.
 */
final class OrderClient implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private final URI base;
    private final Duration timeout;
    private final ExecutorService executor;
    private final HttpClient client;

    OrderClient(URI base, Duration connectTimeout, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
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
     * Reads an order that should exist.
     *
     * @param id the order id
     * @return OK if a 200 with that order came back
     */
    Result read(long id) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/order/" + id)).GET().build();
        return exchange(request, 200, body -> body.path("order_id").asLong(-1) == id
                ? null : "order_id " + body.path("order_id") + " != " + id);
    }

    /**
     * Creates an order and checks that the API returns exactly what was sent.
     *
     * @param order the order
     * @return OK with the new id if a 201 with a matching order came back
     */
    Result write(NewOrder order) {
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

    private Result exchange(HttpRequest request, int expected, Check check) {
        HttpResponse<byte[]> response;
        CompletableFuture<HttpResponse<byte[]>> future = client.sendAsync(request,
                                                                           HttpResponse.BodyHandlers.ofByteArray());
        try {
            // The timeout is kept here rather than on the request: a request timeout puts a timer event through the
            // client's selector thread under a lock for every request, which halved throughput in profiles.
            response = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            return new Result(Outcome.TIMEOUT, 0, "no response within " + timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpConnectTimeoutException || cause instanceof ConnectException) {
                return new Result(Outcome.CONNECT_ERROR, 0, String.valueOf(cause.getMessage()));
            }
            if (cause instanceof HttpTimeoutException) {
                return new Result(Outcome.TIMEOUT, 0, String.valueOf(cause.getMessage()));
            }
            // Reset, closed early, refused after connecting: no response, so it is a connection-level error.
            return new Result(Outcome.CONNECT_ERROR, 0, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            return new Result(Outcome.CONNECT_ERROR, 0, "interrupted");
        }
        int status = response.statusCode();
        if (status != expected) {
            return new Result(Outcome.ofStatus(status), 0, "status " + status);
        }
        try {
            JsonNode body = JSON.readTree(response.body());
            String difference = check.difference(body);
            return difference == null ? Result.ok(body.path("order_id").asLong())
                    : new Result(Outcome.CHECK_FAILED, 0, difference);
        } catch (IOException e) {
            return new Result(Outcome.CHECK_FAILED, 0, "unreadable body: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        client.close();
        executor.close();
    }

    @FunctionalInterface
    private interface Check {
        String difference(JsonNode body);
    }
}
