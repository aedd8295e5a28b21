/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.promdemo.loadtest.fault.FakeAws;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stress stage whose stress cannot start fails, says why, and never reports the stress as active.
 */
class StressIT {
    @Test
    void aStressStageWhoseRunCommandIsDeniedFails(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        FakeAws aws = new FakeAws(bin, "254||An error occurred (AccessDeniedException) when calling the SendCommand "
                + "operation: not authorized");
        try (StubApi stub = new StubApi(1000)) {
            Runs.Run run = Runs.run(dir.resolve("out"), Map.of("PATH", aws.path(), "DB_INSTANCE_ID", "i-0abc"),
                                    "--stage", "db-stress", "--target", stub.url(), "--users", "2", "--ramp", "0",
                                    "--duration", "1s", "--think-time", "10ms");
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            JsonNode stage = run.summary().path("stages").get(0);
            assertFalse(stage.path("passed").asBoolean());
            assertFalse(stage.path("db_stress").path("launched").asBoolean());
            assertTrue(stage.path("db_stress").path("problem").asText().contains("AccessDeniedException"),
                       stage.toString());
            assertTrue(stage.path("thresholds").get(0).path("passed").asBoolean(), "the load itself was fine");
            assertTrue(run.output().contains("CPU stress did not start"), run.output());
            assertFalse(run.output().contains("CPU stress started"), run.output());
        }
    }

    @Test
    void aStressStageWithoutStressNgFailsUnlessStressIsTurnedOff(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            String[] args = {"--stage", "db-stress", "--target", stub.url(), "--users", "2", "--ramp", "0",
                "--duration", "1s", "--think-time", "10ms"};
            Runs.Run run = Runs.run(dir.resolve("auto"), args);
            assertEquals(ExitCode.FAILED, run.exitCode(), run.output());
            assertTrue(run.output().contains("stress-ng is not on the PATH"), run.output());
            String[] off = java.util.Arrays.copyOf(args, args.length + 1);
            off[args.length] = "--no-stress";
            assertEquals(ExitCode.PASS, Runs.run(dir.resolve("off"), off).exitCode());
        }
    }
}
