/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.OptionalLong;

import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /api/order/{id}} and {@code POST /api/order}.
 *
 * <p>Every failure is turned into an RFC 9457 problem response in one place, {@link #handled(String, Handler)}:
 * bad input gets a 4xx, an unavailable database a 503, anything else a 500.
 */
final class OrderService implements HttpService {
    static final String ORDER_ROUTE = "/api/order";
    static final String ORDER_BY_ID_ROUTE = "/api/order/{id}";

    private static final System.Logger LOGGER = System.getLogger(OrderService.class.getName());
    private static final String PROBLEM_JSON = "application/problem+json";

    private final OrderRepository orders;
    private final OrderRequests requests;
    private final HttpMetrics metrics;
    private final int maxBodyBytes;

    OrderService(OrderRepository orders, OrderRequests.Limits limits, HttpMetrics metrics) {
        this.orders = orders;
        this.requests = new OrderRequests(limits);
        this.metrics = metrics;
        this.maxBodyBytes = limits.maxBodyBytes();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/order/{id}", handled(ORDER_BY_ID_ROUTE, this::getOrder))
                .post("/order", handled(ORDER_ROUTE, this::createOrder));
    }

    private void getOrder(ServerRequest req, ServerResponse res) {
        long id = orderId(req.path().pathParameters().get("id"));
        Order order = orders.find(id).orElseThrow(() -> ApiProblem.notFound("no order with id " + id));
        send(res, Status.OK_200, Json.write(order));
    }

    private void createOrder(ServerRequest req, ServerResponse res) {
        requireJson(req);
        NewOrder order = requests.parse(body(req));
        Order created = orders.create(order);
        metrics.orderPlaced(created.items().size());
        res.header(HeaderNames.LOCATION, ORDER_ROUTE + "/" + created.orderId());
        send(res, Status.CREATED_201, Json.write(created));
    }

    private static long orderId(String raw) {
        if (raw.isEmpty() || raw.length() > 19 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ApiProblem.invalidId("the order id must be a positive integer, was '" + truncate(raw) + "'");
        }
        long id;
        try {
            id = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiProblem.invalidId("the order id is out of range");
        }
        if (id < 1) {
            throw ApiProblem.invalidId("the order id must be a positive integer, was '" + raw + "'");
        }
        return id;
    }

    private static void requireJson(ServerRequest req) {
        HttpMediaType type = req.headers().contentType().orElse(null);
        boolean json = type != null && type.mediaType().equals(MediaTypes.APPLICATION_JSON)
                && type.charset().map(c -> c.equalsIgnoreCase("utf-8")).orElse(true);
        if (!json) {
            throw ApiProblem.unsupportedMediaType(type == null ? "missing" : type.text());
        }
    }

    private byte[] body(ServerRequest req) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > maxBodyBytes) {
            throw ApiProblem.bodyTooLarge(maxBodyBytes);
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes(maxBodyBytes + 1);
            if (body.length > maxBodyBytes) {
                throw ApiProblem.bodyTooLarge(maxBodyBytes);
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Handler handled(String route, Handler handler) {
        return (req, res) -> {
            HttpMetrics.route(req, route);
            try {
                handler.handle(req, res);
            } catch (RuntimeException e) {
                sendProblem(req, res, problem(e));
            }
        };
    }

    private static ApiProblem problem(RuntimeException e) {
        if (e instanceof ApiProblem problem) {
            return problem;
        }
        if (e instanceof RequestException request && request.status().code() == Status.REQUEST_ENTITY_TOO_LARGE_413
                .code()) {
            return ApiProblem.bodyTooLarge(request.status().code());
        }
        RuntimeException translated = OrderRepository.unavailable(e);
        if (translated instanceof ApiProblem problem) {
            LOGGER.log(Level.DEBUG, "database unavailable", e);
            return problem;
        }
        LOGGER.log(Level.WARNING, "request failed", e);
        return ApiProblem.internal();
    }

    private static void sendProblem(ServerRequest req, ServerResponse res, ApiProblem problem) {
        if (res.isSent()) {
            return;
        }
        res.status(Status.create(problem.status()));
        res.header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        if (problem.status() == Status.SERVICE_UNAVAILABLE_503.code()) {
            res.header(HeaderNames.RETRY_AFTER, "1");
        }
        if (req.content().hasEntity() && !req.content().consumed()) {
            // Close rather than drain an unread (possibly huge) body.
            res.header(HeaderNames.CONNECTION, "close");
        }
        res.send(Json.write(new Json.Problem(problem.type(), problem.title(), problem.status(), problem.getMessage(),
                                             problem.field())));
    }

    private static void send(ServerResponse res, Status status, byte[] json) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json);
    }

    private static String truncate(String raw) {
        return raw.length() <= 32 ? raw : raw.substring(0, 32) + "...";
    }
}
