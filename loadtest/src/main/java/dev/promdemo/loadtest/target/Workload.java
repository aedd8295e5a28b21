/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.target;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import dev.promdemo.loadtest.plan.Operation;

/**
 * What the users ask for: reads of orders that exist and writes of random orders for existing customers.
 *
 * <p>Reads pick uniformly among ids 1..highest known. The highest id is found at preflight by probing
 * {@code GET /api/order/{id}} (doubling, then bisecting: about 35 requests for the seeded 100,000 orders, and no
 * writes), and it grows with every order the run itself creates. The API never deletes orders and ids come from
 * AUTO_INCREMENT, so every id up to the highest exists. Until some order exists, a planned read is sent as a write.
 */
public final class Workload {
    private final AtomicLong highestId;
    private final int customers;
    private final int products;

    /**
     * A workload.
     *
     * @param highestId the highest order id that exists
     * @param customers customer ids 1..customers exist
     * @param products product ids 1..products are used in new orders
     */
    public Workload(long highestId, int customers, int products) {
        this.highestId = new AtomicLong(highestId);
        this.customers = customers;
        this.products = products;
    }

    /**
     * Finds the highest existing order id without writing anything.
     *
     * @param client the client
     * @return the highest id (0 if there are no orders) and the probes' mean latency
     * @throws IOException if the target is unreachable or is not the order API
     */
    public static Discovery discoverHighestId(OrderClient client) throws IOException {
        long start = System.nanoTime();
        if (!client.exists(1)) {
            return new Discovery(0, System.nanoTime() - start);
        }
        // The clock starts after the first probe, which opens the connection and may wait out 503s.
        start = System.nanoTime();
        int probes = 0;
        long low = 1;
        long high = 2;
        for (probes++; client.exists(high); probes++) {
            low = high;
            high *= 2;
        }
        while (high - low > 1) {
            long mid = low + (high - low) / 2;
            probes++;
            if (client.exists(mid)) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return new Discovery(low, (System.nanoTime() - start) / probes);
    }

    /**
     * What preflight found.
     *
     * @param highestId the highest existing order id, 0 if none
     * @param meanNanos the probes' mean latency
     */
    public record Discovery(long highestId, long meanNanos) {
    }

    /**
     * One request of the mix, drawn where its schedule is (the user, or the open model's pacer), so a seed gives the
     * same sequence whichever thread sends it.
     *
     * @param op read or write
     * @param readId the id to read, or 0
     * @param order the order to write, or {@code null} for a read
     */
    public record Request(Operation op, long readId, NewOrder order) {
    }

    /**
     * Draws the next request: a read of an existing id with probability {@code readRatio}, else a random order.
     *
     * @param random the user's random source
     * @param readRatio the share of reads
     * @return the request
     */
    public Request draw(SplittableRandom random, double readRatio) {
        boolean read = random.nextDouble() < readRatio;
        long highest = highestId.get();
        if (read && highest > 0) {
            return new Request(Operation.READ, 1 + random.nextLong(highest), null);
        }
        return new Request(Operation.WRITE, 0, NewOrder.random(random, customers, products));
    }

    /**
     * Notes an order the run created, so later reads may pick it.
     *
     * @param id its id
     */
    public void created(long id) {
        highestId.accumulateAndGet(id, Math::max);
    }

    /**
     * The highest order id known now.
     *
     * @return the id
     */
    public long highestId() {
        return highestId.get();
    }
}
