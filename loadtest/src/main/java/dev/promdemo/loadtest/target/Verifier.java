/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.target;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;
import dev.promdemo.loadtest.measure.Verification;

/**
 * The verification pass: after the run, re-read the orders the run created and report any that are missing or
 * differ from what was sent. An accepted write must never be lost.
 */
public final class Verifier {
    private static final int MAX_REPORTED = 20;

    private Verifier() {
    }

    /**
     * Re-reads every order in the sample.
     *
     * @param client the client
     * @param sample the created orders kept
     * @return the findings
     */
    public static Verification verify(OrderClient client, Sample sample) {
        Map<Long, NewOrder> orders = sample.orders();
        long missing = 0;
        long different = 0;
        long unreadable = 0;
        List<String> problems = new ArrayList<>();
        for (Map.Entry<Long, NewOrder> e : orders.entrySet()) {
            String problem;
            try {
                JsonNode order = client.fetch(e.getKey());
                if (order == null) {
                    missing++;
                    problem = "order " + e.getKey() + " is missing (404)";
                } else {
                    String difference = e.getValue().difference(order);
                    if (difference == null) {
                        continue;
                    }
                    different++;
                    problem = "order " + e.getKey() + " differs: " + difference;
                }
            } catch (IOException ex) {
                unreadable++;
                problem = "order " + e.getKey() + " could not be read: " + ex.getMessage();
            }
            if (problems.size() < MAX_REPORTED) {
                problems.add(problem);
            }
        }
        return new Verification(sample.seen(), orders.size(), missing, different, unreadable, problems);
    }

    /**
     * The created orders kept for verification: all of them, or a uniform reservoir sample of a fixed size, so
     * memory stays bounded however long the run.
     */
    public static final class Sample {
        private final int capacity;
        private final SplittableRandom random;
        private final LinkedHashMap<Long, NewOrder> orders = new LinkedHashMap<>();
        private final List<Long> ids = new ArrayList<>();
        private long seen;

        /**
         * A sample.
         *
         * @param capacity -1 to keep none, 0 to keep all, else the sample size
         * @param seed the seed of the reservoir's choices
         */
        public Sample(int capacity, long seed) {
            this.capacity = capacity;
            this.random = new SplittableRandom(seed);
        }

        /**
         * Offers an order the run created.
         *
         * @param id its id
         * @param order what was sent
         */
        public synchronized void offer(long id, NewOrder order) {
            seen++;
            if (capacity < 0) {
                return;
            }
            if (capacity == 0 || orders.size() < capacity) {
                orders.put(id, order);
                ids.add(id);
                return;
            }
            long slot = random.nextLong(seen);
            if (slot < capacity) {
                orders.remove(ids.get((int) slot));
                ids.set((int) slot, id);
                orders.put(id, order);
            }
        }

        /**
         * The orders kept.
         *
         * @return a copy, by id
         */
        public synchronized Map<Long, NewOrder> orders() {
            return new LinkedHashMap<>(orders);
        }

        /**
         * How many orders were offered.
         *
         * @return the count
         */
        public synchronized long seen() {
            return seen;
        }

        /**
         * Whether any orders are kept.
         *
         * @return {@code false} when verification is off
         */
        public boolean enabled() {
            return capacity >= 0;
        }
    }
}
