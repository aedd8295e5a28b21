/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.promdemo.orders.order.NewOrder;
import dev.promdemo.orders.order.Order;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JSON on the request path: encoding a 5-item order (every GET and POST response) and reading plus validating a
 * 5-item order request (every POST).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar OrderJsonBenchmark}. Expect the encode well under the
 * 2 µs target (about 1 µs on a 2-core VM) and parse-and-validate a few µs; {@code baseline} is the cost of the
 * harness returning a constant, to subtract mentally.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class OrderJsonBenchmark {
    private final Order order = fiveItemOrder();
    private final byte[] request = ("{\"customer_id\":2599,\"items\":["
            + "{\"product_id\":1480,\"quantity\":4,\"unit_price\":8.43},"
            + "{\"product_id\":2457,\"quantity\":1,\"unit_price\":8.72},"
            + "{\"product_id\":3434,\"quantity\":2,\"unit_price\":9.01},"
            + "{\"product_id\":411,\"quantity\":3,\"unit_price\":120.00},"
            + "{\"product_id\":17,\"quantity\":1,\"unit_price\":0.99}]}").getBytes(StandardCharsets.UTF_8);
    private final OrderRequests requests = new OrderRequests(
            new OrderRequests.Limits(16384, 50, 1000, new BigDecimal("1000000.00")));

    @Benchmark
    public byte[] baseline() {
        return request;
    }

    @Benchmark
    public byte[] encodeFiveItemOrder() {
        return Json.write(order);
    }

    @Benchmark
    public NewOrder parseAndValidateFiveItemOrder() {
        return requests.parse(request);
    }

    @Benchmark
    public BigDecimal totalOfFiveItems() {
        return requests.parse(request).total();
    }

    private static Order fiveItemOrder() {
        List<Order.Item> items = new ArrayList<>();
        items.add(new Order.Item(123, 1480, 4, new BigDecimal("8.43")));
        items.add(new Order.Item(124, 2457, 1, new BigDecimal("8.72")));
        items.add(new Order.Item(125, 3434, 2, new BigDecimal("9.01")));
        items.add(new Order.Item(126, 411, 3, new BigDecimal("120.00")));
        items.add(new Order.Item(127, 17, 1, new BigDecimal("0.99")));
        return new Order(42, 2599, new BigDecimal("428.87"), "NEW", "2026-11-24T01:30:22.835Z", items);
    }
}
