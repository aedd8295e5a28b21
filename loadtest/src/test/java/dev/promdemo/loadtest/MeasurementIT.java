/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against a stub API whose requests are counted and which can stall: the numbers the generator reports are the
 * numbers that happened.
 */
class MeasurementIT {
    @Test
    void summaryCountsMatchWhatTheServerServed(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "8", "--ramp", "1s",
                                    "--duration", "3s", "--think-time", "5ms-20ms", "--read-ratio", "0.6",
                                    "--verify", "50",
                                    // Latency on a shared build machine is not what this test is about.
                                    "--threshold", "all:p95<5s");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            JsonNode ops = run.summary().path("stages").get(0).path("operations");
            long preflightProbes = 20; // ids 1, then 2, 4 ... 1024 (10), then bisecting 512..1024 (9)
            long verification = run.summary().path("verification").path("checked").asLong();
            assertEquals(stub.writes(), ops.path("write").path("requests").asLong());
            assertEquals(stub.writes(), ops.path("write").path("by_outcome").path("ok").asLong());
            assertEquals(stub.reads(), ops.path("read").path("requests").asLong() + preflightProbes + verification,
                         "reads = load + preflight probes + verification");
            assertEquals(50, verification);
            assertTrue(run.summary().path("verification").path("passed").asBoolean());
            assertTrue(ops.path("all").path("requests").asLong() > 300, "too few requests to mean anything");
            JsonNode steady = ops.path("all").path("steady_state");
            assertTrue(steady.path("requests").asLong() < ops.path("all").path("requests").asLong(),
                       "the ramp must be excluded from the steady state");
        }
    }

    @Test
    void openModelStallShowsInCorrectedLatencyOnly(@TempDir Path dir) throws Exception {
        // wrk2's freeze test: the server stops answering for 1.5 s in the middle of a 200 req/s run, with a
        // bounded number of connections (here: requests in flight), so the generator cannot send during the stall.
        try (StubApi stub = new StubApi(1000); ScheduledExecutorService timer = Executors.newScheduledThreadPool(1)) {
            timer.schedule(() -> stub.stallFor(1500), 2500, TimeUnit.MILLISECONDS);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--rate", "200",
                                    "--max-in-flight", "10", "--ramp", "1s", "--duration", "5s", "--no-default-thresholds");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            JsonNode latency = run.summary().path("stages").get(0).path("operations").path("all")
                    .path("steady_state").path("latency_ms");
            double correctedP99 = latency.path("corrected").path("p99").asDouble();
            double correctedP90 = latency.path("corrected").path("p90").asDouble();
            double observedP90 = latency.path("observed").path("p90").asDouble();
            // 300 of about 1000 steady requests were due during the stall: ~30 % of the corrected samples wait
            // between 0 and 1.5 s, so p90 is about a second; the observed (as sent) p90 never sees it.
            assertTrue(correctedP99 > 1200, "corrected p99 should show the 1.5 s stall: " + latency);
            assertTrue(correctedP90 > 500, "corrected p90 should show the stall: " + latency);
            assertTrue(observedP90 < correctedP90 / 3, "observed p90 should hide most of it: " + latency);
            assertTrue(run.output().contains("corrected") && run.output().contains("observed"));
        }
    }

    @Test
    void closedModelStallShowsInCorrectedLatencyAndObservedIsLabelled(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000); ScheduledExecutorService timer = Executors.newScheduledThreadPool(1)) {
            timer.schedule(() -> stub.stallFor(1500), 2500, TimeUnit.MILLISECONDS);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "10",
                                    "--think-time", "20ms-40ms", "--ramp", "1s", "--duration", "5s",
                                    "--no-default-thresholds");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            JsonNode all = run.summary().path("stages").get(0).path("operations").path("all").path("steady_state");
            JsonNode latency = all.path("latency_ms");
            // Each of the 10 users sees one slow response, about 10 of some 1000 samples: the observed percentiles
            // barely move. Corrected adds back the ~1.5 s / 30 ms requests each user would have sent.
            double correctedP90 = latency.path("corrected").path("p90").asDouble();
            assertTrue(latency.path("observed").path("max").asDouble() > 1000, latency.toString());
            assertTrue(latency.path("corrected").path("p99").asDouble() > 1000, latency.toString());
            assertTrue(correctedP90 > 300, latency.toString());
            assertTrue(latency.path("observed").path("p90").asDouble() < correctedP90 / 3, latency.toString());
            assertTrue(latency.path("corrected").path("samples_including_corrections").asLong()
                               > all.path("samples").asLong(), latency.toString());
        }
    }

    @Test
    void responsesLaterThanTheTimeoutAreTimeoutErrorsWithTheirLatency(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000); ScheduledExecutorService timer = Executors.newScheduledThreadPool(1)) {
            timer.schedule(() -> stub.stallFor(1500), 1000, TimeUnit.MILLISECONDS);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "3", "--ramp", "0",
                                    "--duration", "3s", "--think-time", "10ms", "--timeout", "500ms");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode all = run.summary().path("stages").get(0).path("operations").path("all");
            assertTrue(all.path("by_outcome").path("timeout").asLong() >= 3, all.toString());
            assertTrue(all.path("steady_state").path("latency_ms").path("observed").path("max").asDouble() >= 500,
                       "a timeout is recorded with its latency: " + all);
        }
    }

    @Test
    void openModelRequestsPastTheTimeoutAreCancelledAndCountedAsTimeouts(@TempDir Path dir) throws Exception {
        // The open model's timeouts come from a sweeper, not from a wait per request: a stall longer than the
        // timeout must still end every stalled request as a timeout, with its latency, and free its slot.
        try (StubApi stub = new StubApi(1000); ScheduledExecutorService timer = Executors.newScheduledThreadPool(1)) {
            timer.schedule(() -> stub.stallFor(1500), 1000, TimeUnit.MILLISECONDS);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--rate", "100",
                                    "--max-in-flight", "200", "--ramp", "0", "--duration", "3s", "--timeout", "500ms");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode stage = run.summary().path("stages").get(0);
            JsonNode all = stage.path("operations").path("all");
            long timeouts = all.path("by_outcome").path("timeout").asLong();
            // About 100 requests are due during the first second of the stall; each waits past 500 ms.
            assertTrue(timeouts >= 40, all.toString());
            double observedMax = all.path("steady_state").path("latency_ms").path("observed").path("max").asDouble();
            assertTrue(observedMax >= 500 && observedMax < 1000,
                       "a timeout is recorded with its latency, ended soon after the timeout: " + all);
            assertTrue(all.path("by_outcome").path("ok").asLong() > 100, "the run recovers after the stall: " + all);
        }
    }

    @Test
    void impossibleThresholdFailsWith99(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "2", "--ramp", "0",
                                    "--duration", "1s", "--think-time", "10ms", "--threshold", "all:p50<1us");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode thresholds = run.summary().path("stages").get(0).path("thresholds");
            JsonNode impossible = thresholds.get(thresholds.size() - 1);
            assertEquals("all:p50<1us", impossible.path("threshold").asText());
            assertFalse(impossible.path("passed").asBoolean());
            assertTrue(thresholds.get(0).path("passed").asBoolean(), "the error-rate default still passes");
            assertEquals("fail", run.summary().path("verdict").asText());
        }
    }

    @Test
    void serviceUnavailableIsCountedAsShedAndJudgedOnItsOwn(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            stub.shedEvery(4);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "3", "--ramp", "0",
                                    "--duration", "2s", "--think-time", "5ms", "--read-ratio", "0.5",
                                    "--threshold", "all:shed<1%", "--threshold", "all:errors<50%",
                                    "--threshold", "all:p95<5s");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode stage = run.summary().path("stages").get(0);
            JsonNode all = stage.path("operations").path("all");
            assertTrue(stub.shed() > 10, "the stub shed too few: " + stub.shed());
            assertEquals(stub.shed(), all.path("shed").asLong(), all.toString());
            assertEquals(stub.shed(), all.path("by_outcome").path("shed").asLong(), all.toString());
            assertEquals(0, all.path("by_outcome").path("http_5xx").asLong(), "a 503 is not an other 5xx");
            assertEquals(all.path("errors").asLong(), all.path("shed").asLong(), "shed requests are errors too");
            JsonNode thresholds = stage.path("thresholds");
            for (JsonNode t : thresholds) {
                boolean shedThreshold = t.path("threshold").asText().equals("all:shed<1%");
                assertEquals(!shedThreshold, t.path("passed").asBoolean(), t.toString());
            }
            assertTrue(run.output().contains("shed=" + stub.shed()), "the console shows the shed count");
        }
    }

    @Test
    void preflightWaitsOutAnApiThatAnswers503(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            stub.unavailableFor(2500);
            Runs.Run run = Runs.run(dir, "--stage", "normal", "--target", stub.url(), "--users", "2", "--ramp", "0",
                                    "--duration", "1s", "--think-time", "10ms", "--threshold", "all:p95<5s");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            assertEquals(1000, run.summary().path("run").path("highest_order_id_at_start").asLong());
            assertTrue(stub.shed() >= 2, "the preflight met the 503s: " + stub.shed());
        }
    }

    @Test
    void aWriteAnsweredWithTheWrongOrderIsACheckFailure(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            stub.corruptWrites();
            Runs.Run run = Runs.run(dir, "--stage", "write-heavy", "--target", stub.url(), "--users", "2",
                                    "--ramp", "0", "--duration", "1s", "--think-time", "10ms");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode write = run.summary().path("stages").get(0).path("operations").path("write");
            assertEquals(stub.writes(), write.path("by_outcome").path("check_failed").asLong());
            assertEquals(0, write.path("by_outcome").path("ok").asLong());
        }
    }
}
