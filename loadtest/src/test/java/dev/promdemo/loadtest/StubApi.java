/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A stand-in for the order API on an ephemeral loopback port: it answers reads of ids 1..highest and echoes writes
 * as the API does, counts what it served, and can stall every response for a known time (the freeze test).
 */
final class StubApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final AtomicLong highest;
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong writes = new AtomicLong();
    private final Map<Long, byte[]> created = new ConcurrentHashMap<>();
    private volatile long stallUntilNanos;
    private volatile boolean corruptWrites;
    private volatile int shedEvery;
    private volatile long unavailableUntilNanos = System.nanoTime();
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong shed = new AtomicLong();

    StubApi(long highestId) throws IOException {
        this(highestId, new InetSocketAddress("127.0.0.1", 0));
    }

    StubApi(long highestId, InetSocketAddress address) throws IOException {
        highest = new AtomicLong(highestId);
        server = HttpServer.create(address, 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/api/order", this::handle);
        // The API's orders counter, as Prometheus scrapes it from the real one.
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                byte[] text = ("# TYPE orders_placed_total counter\norders_placed_total " + writes.get() + "\n")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
                exchange.sendResponseHeaders(200, text.length);
                exchange.getResponseBody().write(text);
            }
        });
        server.createContext("/", exchange -> respond(exchange, 200, "ok".getBytes(StandardCharsets.UTF_8)));
        server.start();
    }

    String url() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    long reads() {
        return reads.get();
    }

    long writes() {
        return writes.get();
    }

    /** Holds every response until {@code millis} from now, as a stopped (SIGSTOP) server would. */
    void stallFor(long millis) {
        stallUntilNanos = System.nanoTime() + millis * 1_000_000;
    }

    /** Answers every {@code n}th load request (after the first {@code n}) with 503 and Retry-After, as an API at its
     * concurrency limit does. */
    void shedEvery(int n) {
        shedEvery = n;
    }

    /** Answers everything with 503 and Retry-After: 1 until {@code millis} from now, as an API whose database is
     * down does. */
    void unavailableFor(long millis) {
        unavailableUntilNanos = System.nanoTime() + millis * 1_000_000;
    }

    long shed() {
        return shed.get();
    }

    /** Makes writes answer 201 with a total that does not match the order sent. */
    void corruptWrites() {
        corruptWrites = true;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            long wait;
            while ((wait = stallUntilNanos - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            String path = exchange.getRequestURI().getPath();
            int every = shedEvery;
            long n = served.incrementAndGet();
            if (every > 0 && n > 100 && n % every == 0 || System.nanoTime() - unavailableUntilNanos < 0) {
                shed.incrementAndGet();
                exchange.getResponseHeaders().set("Retry-After", "1");
                respond(exchange, 503, "{\"title\":\"overloaded\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (exchange.getRequestMethod().equals("POST") && path.equals("/api/order")) {
                writes.incrementAndGet();
                JsonNode order = JSON.readTree(body);
                ObjectNode created = JSON.createObjectNode();
                created.put("order_id", highest.incrementAndGet());
                created.set("customer_id", order.get("customer_id"));
                BigDecimal total = BigDecimal.ZERO;
                for (JsonNode item : order.get("items")) {
                    total = total.add(item.get("unit_price").decimalValue()
                                              .multiply(BigDecimal.valueOf(item.get("quantity").asLong())));
                }
                created.put("total_amount", corruptWrites ? total.add(BigDecimal.ONE) : total);
                created.put("status", "NEW");
                ArrayNode items = created.putArray("items");
                order.get("items").forEach(items::add);
                byte[] json = JSON.writeValueAsBytes(created);
                this.created.put(created.get("order_id").asLong(), json);
                respond(exchange, 201, json);
                return;
            }
            reads.incrementAndGet();
            long id = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
            if (id < 1 || id > highest.get()) {
                respond(exchange, 404, "{}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] stored = created.get(id);
            respond(exchange, 200, stored != null ? stored : ("{\"order_id\":" + id + ",\"customer_id\":1,\"total_amount\":1.00,\"status\":\"NEW\","
                    + "\"items\":[{\"item_id\":1,\"product_id\":1,\"quantity\":1,\"unit_price\":1.00}]}")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /**
     * Runs the stub alone, for manual runs and the generator-ceiling benchmark: {@code StubApi [host] [port]}.
     *
     * @param args optional host and port
     * @throws IOException if it cannot bind
     */
    public static void main(String[] args) throws IOException {
        StubApi stub = new StubApi(100_000, new InetSocketAddress(args.length > 0 ? args[0] : "127.0.0.1",
                                                                  args.length > 1 ? Integer.parseInt(args[1]) : 0));
        System.out.println("stub api on " + stub.url());
    }
}
