/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The verification pass: after the run, re-read the orders the run created and report any that are missing or
 * differ from what was sent. An accepted write must never be lost.
 */
final class Verifier {
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
    static Result verify(OrderClient client, Sample sample) {
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
        return new Result(sample.seen(), orders.size(), missing, different, unreadable, problems);
    }

    /**
     * What the verification pass found.
     *
     * @param created orders the run created (accepted writes)
     * @param checked orders re-read
     * @param missing re-read and not found
     * @param different found but not as sent
     * @param unreadable could not be read (the API failed)
     * @param problems the first few problems, described
     */
    record Result(long created, long checked, long missing, long different, long unreadable, List<String> problems) {
        boolean passed() {
            return missing == 0 && different == 0 && unreadable == 0;
        }
    }

    /**
     * The created orders kept for verification: all of them, or a uniform reservoir sample of a fixed size, so
     * memory stays bounded however long the run.
     */
    static final class Sample {
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
        Sample(int capacity, long seed) {
            this.capacity = capacity;
            this.random = new SplittableRandom(seed);
        }

        synchronized void offer(long id, NewOrder order) {
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

        synchronized Map<Long, NewOrder> orders() {
            return new LinkedHashMap<>(orders);
        }

        synchronized long seen() {
            return seen;
        }

        boolean enabled() {
            return capacity >= 0;
        }
    }
}
