/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged jar, stopped by SIGTERM mid-stage: it stops the stress command, writes its partial results and exits
 * 130.
 */
class InterruptIT {
    @Test
    void sigtermStopsTheStageAndTheStressAndExits130(@TempDir Path dir) throws Exception {
        Path jar = Path.of("target", "loadtest.jar");
        assertTrue(Files.exists(jar), "run after package: " + jar.toAbsolutePath());
        Path out = dir.resolve("run");
        try (StubApi stub = new StubApi(1000)) {
            Process run = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                                             jar.toString(), "--stage", "db-stress", "--target", stub.url(),
                                             "--users", "3", "--think-time", "20ms", "--ramp", "0",
                                             "--duration", "60s", "--stress-command", "sleep 6{seconds}6",
                                             "--metrics-host", "127.0.0.1", "--metrics-port", "0",
                                             "--out", out.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!stressRunning() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(stressRunning(), "the stress command did not start");
            Thread.sleep(1500);
            run.destroy();
            assertTrue(run.waitFor(30, TimeUnit.SECONDS), "it did not stop");
            assertEquals(ExitCode.INTERRUPTED, run.exitValue(), Files.readString(dir.resolve("out.log")));
        }
        assertFalse(stressRunning(), "the stress command must be stopped");
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertEquals("interrupted", summary.path("verdict").asText());
        JsonNode stage = summary.path("stages").get(0);
        assertTrue(stage.path("interrupted").asBoolean());
        assertTrue(stage.path("operations").path("all").path("requests").asLong() > 0);
        assertTrue(Files.size(out.resolve("report.html")) > 10_000);
    }

    private static boolean stressRunning() {
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                .map(a -> List.of(a).contains("6606")).orElse(false));
    }
}
