/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.OptionalLong;

import dev.promdemo.orders.metrics.HttpMetrics;
import dev.promdemo.orders.order.NewOrder;
import dev.promdemo.orders.order.Order;
import dev.promdemo.orders.order.OrderStore;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /api/order/{id}} and {@code POST /api/order}.
 *
 * <p>Handlers only parse, call the store and answer; every failure leaves them as an exception, which
 * {@link ProblemResponses} turns into an RFC 9457 problem response.
 */
public final class OrderService implements HttpService {
    /** The route template of {@code POST /api/order}. */
    public static final String ORDER_ROUTE = "/api/order";
    /** The route template of {@code GET /api/order/{id}}. */
    public static final String ORDER_BY_ID_ROUTE = "/api/order/{id}";

    private final OrderStore orders;
    private final OrderRequests requests;
    private final HttpMetrics metrics;

    /**
     * @param orders where orders are kept
     * @param limits the input limits
     * @param metrics the request metrics, which also count the orders placed
     */
    public OrderService(OrderStore orders, OrderRequests.Limits limits, HttpMetrics metrics) {
        this.orders = orders;
        this.requests = new OrderRequests(limits);
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/order/{id}", routed(ORDER_BY_ID_ROUTE, this::getOrder))
                .post("/order", routed(ORDER_ROUTE, this::createOrder))
                .any("/order/{id}", routed(ORDER_BY_ID_ROUTE, notAllowed("GET")))
                .any("/order", routed(ORDER_ROUTE, notAllowed("POST")));
    }

    private void getOrder(ServerRequest req, ServerResponse res) {
        long id = OrderRequests.orderId(req.path().pathParameters().get("id"));
        Order order = orders.find(id).orElseThrow(() -> ApiProblem.notFound("no order with id " + id));
        send(res, Status.OK_200, Json.write(order));
    }

    private void createOrder(ServerRequest req, ServerResponse res) {
        OrderRequests.requireJson(req.headers().contentType().orElse(null));
        NewOrder order = requests.parse(body(req));
        Order created = orders.create(order);
        metrics.orderPlaced(created.items().size());
        res.header(HeaderNames.LOCATION, ORDER_ROUTE + "/" + created.orderId());
        send(res, Status.CREATED_201, Json.write(created));
    }

    private byte[] body(ServerRequest req) {
        OptionalLong declared = req.headers().contentLength();
        if (declared.isPresent()) {
            requests.requireSize(declared.getAsLong());
        }
        try (InputStream in = req.content().inputStream()) {
            // One byte more than allowed tells a body that is too large from one that fits exactly.
            byte[] body = in.readNBytes(requests.maxBodyBytes() + 1);
            requests.requireSize(body.length);
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Handler notAllowed(String allowed) {
        return (req, res) -> {
            res.header(HeaderNames.ALLOW, allowed);
            throw ApiProblem.methodNotAllowed(req.prologue().method().text(), allowed);
        };
    }

    private static Handler routed(String route, Handler handler) {
        return (req, res) -> {
            HttpMetrics.route(req, route);
            handler.handle(req, res);
        };
    }

    private static void send(ServerResponse res, Status status, byte[] json) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json);
    }
}
