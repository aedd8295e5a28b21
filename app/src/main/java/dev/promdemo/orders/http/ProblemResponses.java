/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.lang.System.Logger.Level;

import dev.promdemo.orders.order.StoreUnavailableException;
import dev.promdemo.orders.order.UnknownCustomerException;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.ErrorHandler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The one place where failures become RFC 9457 problem responses ({@code application/problem+json}).
 *
 * <p>As the routing's error handler it answers what handlers throw: the API's own {@link ApiProblem}s, the domain's
 * errors (an unknown customer is a 422, an unavailable store a 503 with {@code Retry-After}), and anything else as a
 * 500 that says nothing was written. As a {@link DirectHandler} it answers what the server itself refuses, in the
 * same shape: the 503 of the concurrency limit (load shed, with {@code Retry-After}), a body over the server's entity
 * limit (413, naming that limit), malformed requests (400).
 */
public final class ProblemResponses implements ErrorHandler<RuntimeException>, DirectHandler {
    /** Seconds a client should wait before retrying a 503. */
    static final String RETRY_AFTER_SECONDS = "1";

    private static final System.Logger LOGGER = System.getLogger(ProblemResponses.class.getName());
    private static final String PROBLEM_JSON = "application/problem+json";

    private final long serverMaxPayloadBytes;

    /**
     * @param serverMaxPayloadBytes the server's own entity limit ({@code server.max-payload-size}), reported when a
     *                              body exceeds it
     */
    public ProblemResponses(long serverMaxPayloadBytes) {
        this.serverMaxPayloadBytes = serverMaxPayloadBytes;
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res, RuntimeException e) {
        send(req, res, problem(e));
    }

    /**
     * The handler of last resort: a problem 404 for any path the API does not serve.
     *
     * @param req the request
     * @param res the response
     */
    public static void noRoute(ServerRequest req, ServerResponse res) {
        throw ApiProblem.noSuchResource(req.path().path());
    }

    /**
     * The problem a failure is answered with.
     *
     * @param e what a handler threw
     * @return the problem
     */
    ApiProblem problem(RuntimeException e) {
        return switch (e) {
        case ApiProblem problem -> problem;
        case UnknownCustomerException unknown -> ApiProblem.unknownCustomer(unknown.customerId());
        case StoreUnavailableException unavailable -> {
            LOGGER.log(Level.DEBUG, "database unavailable", unavailable);
            yield ApiProblem.databaseUnavailable("the database is unavailable or too slow; retry later");
        }
        default -> {
            LOGGER.log(Level.WARNING, "request failed", e);
            yield ApiProblem.internal();
        }
        };
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
                                    ServerResponseHeaders headers, String message) {
        ApiProblem problem = switch (status.code()) {
        case 503 -> ApiProblem.overloaded();
        case 413 -> ApiProblem.bodyTooLarge(serverMaxPayloadBytes);
        case 500 -> ApiProblem.internal();
        // The server's message may quote the request; the problem names only the status.
        default -> ApiProblem.badRequest(status.code(), status.reasonPhrase());
        };
        headers.set(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        if (status.code() == Status.SERVICE_UNAVAILABLE_503.code()) {
            headers.set(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        return TransportResponse.builder()
                .status(status)
                .headers(headers)
                .entity(body(problem))
                .build();
    }

    private static void send(ServerRequest req, ServerResponse res, ApiProblem problem) {
        if (res.isSent()) {
            return;
        }
        res.status(Status.create(problem.status()));
        res.header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        if (problem.status() == Status.SERVICE_UNAVAILABLE_503.code()) {
            res.header(HeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        }
        if (req.content().hasEntity() && !req.content().consumed()) {
            // Close rather than drain an unread (possibly huge) body.
            res.header(HeaderNames.CONNECTION, "close");
        }
        res.send(body(problem));
    }

    private static byte[] body(ApiProblem problem) {
        return Json.write(new Json.Problem(problem.type(), problem.title(), problem.status(), problem.getMessage(),
                                           problem.field()));
    }
}
