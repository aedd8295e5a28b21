/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stress starts only when it is confirmed: AWS Run Command against a fake {@code aws}, and the local command.
 */
class DbStressTest {
    private static final String INSTANCE = "i-0123456789abcdef0";
    private static final String DENIED = "254||An error occurred (AccessDeniedException) when calling the SendCommand "
            + "operation: User is not authorized to perform: ssm:SendCommand";

    private static DbStress.Settings aws(FakeAws fake, String document) {
        return DbStress.Settings.resolve("auto", null, null,
                                         new DbStress.Environment(INSTANCE, fake.path(), document, null, null));
    }

    @Test
    void sendCommandDeniedMeansStressDidNotStart(@TempDir Path dir) {
        FakeAws fake = new FakeAws(dir, DENIED);
        DbStress stress = DbStress.start(aws(fake, null), Duration.ofSeconds(30));
        assertFalse(stress.launched());
        assertTrue(stress.problem().contains("exit 254") && stress.problem().contains("AccessDeniedException"),
                   stress.problem());
        assertEquals(1, fake.calls().size(), "no invocation to follow: " + fake.calls());
        stress.stop(true);
        assertEquals(1, fake.calls().size(), "nothing to stop: " + fake.calls());
    }

    @Test
    void aFailedOrUndeliveredInvocationMeansStressDidNotStart(@TempDir Path dir) {
        for (String answer : List.of("0|Failed\tFailed|", "0|Cancelled\tUndeliverable|",
                                     "0|TimedOut\tDeliveryTimedOut|")) {
            Path sub = dir.resolve(String.valueOf(answer.hashCode()));
            sub.toFile().mkdirs();
            FakeAws fake = new FakeAws(sub, "0|cmd-1|", answer);
            DbStress stress = DbStress.start(aws(fake, null), Duration.ofSeconds(30));
            assertFalse(stress.launched(), answer);
            assertTrue(stress.problem().contains("cmd-1") && stress.problem().contains(answer.split("[|\t]")[1]),
                       stress.problem());
        }
    }

    @Test
    void aStressFollowedToInProgressStartedAndIsStoppedWithTheStopDocument(@TempDir Path dir) {
        FakeAws fake = new FakeAws(dir, "0|cmd-42|",
                                   "254||An error occurred (InvocationDoesNotExist) when calling GetCommandInvocation",
                                   "0|Pending\tPending|", "0|InProgress\tInProgress|", "0|cmd-43|");
        DbStress stress = DbStress.start(aws(fake, null), Duration.ofMillis(4500));
        assertTrue(stress.launched(), stress.problem());
        assertNull(stress.problem());
        List<String> calls = fake.calls();
        assertEquals("ssm send-command --instance-ids " + INSTANCE + " --document-name prometheus-demo-db-stress "
                             + "--parameters durationSeconds=5 --output text --query Command.CommandId", calls.get(0));
        assertEquals("ssm get-command-invocation --command-id cmd-42 --instance-id " + INSTANCE
                             + " --output text --query [Status,StatusDetails]", calls.get(1));
        assertEquals(4, calls.size(), calls.toString());
        stress.stop(true);
        assertEquals("ssm send-command --instance-ids " + INSTANCE + " --document-name prometheus-demo-db-stress-stop "
                             + "--output text --query Command.CommandId", fake.calls().get(4));
    }

    @Test
    void theDocumentsComeFromTheEnvironment(@TempDir Path dir) {
        FakeAws fake = new FakeAws(dir, "0|cmd-1|", "0|Success\tSuccess|");
        DbStress.Settings settings = DbStress.Settings.resolve(
                "aws", null, null, new DbStress.Environment(INSTANCE, fake.path(), null, "x-stop", "shop"));
        DbStress stress = DbStress.start(settings, Duration.ofSeconds(60));
        assertTrue(stress.launched(), stress.problem());
        assertTrue(fake.calls().get(0).contains("--document-name shop-db-stress --parameters durationSeconds=60"),
                   fake.calls().toString());
        assertEquals("x-stop", settings.aws().stopDocument());
        stress.stop(false);
        assertEquals(2, fake.calls().size(), "a stage that ran its length needs no stop: " + fake.calls());
    }

    @Test
    void localStressWithoutStressNgDoesNotStart(@TempDir Path dir) {
        DbStress.Environment env = new DbStress.Environment(null, dir.toString(), null, null, null);
        DbStress local = DbStress.start(DbStress.Settings.resolve("local", null, null, env), Duration.ofSeconds(5));
        assertFalse(local.launched());
        assertTrue(local.problem().contains("stress-ng is not on the PATH"), local.problem());
        DbStress auto = DbStress.start(DbStress.Settings.resolve("auto", null, null, env), Duration.ofSeconds(5));
        assertFalse(auto.launched());
        assertTrue(auto.problem().contains("--no-stress"), auto.problem());
        assertFalse(DbStress.Settings.resolve("none", null, null, env).enabled());
    }

    @Test
    void aCommandThatFailsAtOnceDidNotStart(@TempDir Path dir) {
        DbStress.Environment env = new DbStress.Environment(null, dir.toString(), null, null, null);
        DbStress failing = DbStress.start(
                DbStress.Settings.resolve("auto", "echo no such thing >&2; exit 3", null, env), Duration.ofSeconds(5));
        assertFalse(failing.launched());
        assertTrue(failing.problem().contains("status 3") && failing.problem().contains("no such thing"),
                   failing.problem());
        DbStress running = DbStress.start(DbStress.Settings.resolve("auto", "sleep {seconds}", null, env),
                                          Duration.ofSeconds(5));
        assertTrue(running.launched(), running.problem());
        running.stop(false);
    }
}
