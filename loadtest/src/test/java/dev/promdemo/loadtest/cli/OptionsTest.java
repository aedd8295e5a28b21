/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.promdemo.loadtest.ExitCode;
import dev.promdemo.loadtest.MergeConfig;
import dev.promdemo.loadtest.RunConfig;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionsTest {
    private static final Map<String, String> ENV = Map.of("PATH", "/nonexistent");

    @Test
    void builtInStagesHaveTheSpecDefaults() {
        RunConfig o = Options.parse(List.of("--stage", "read-heavy"), ENV);
        Stage s = o.stages().getFirst();
        assertEquals(50, s.users());
        assertEquals(Duration.ofMinutes(5), s.duration());
        assertEquals(0.8, s.readRatio());
        assertEquals(Duration.ofSeconds(1), s.thinkMin());
        assertEquals(Duration.ofSeconds(3), s.thinkMax());
        assertEquals(List.of("read-heavy/all:errors<5%", "read-heavy/all:p95<300ms"),
                     o.thresholds().stream().map(Threshold::expression).toList());
        assertEquals(List.of("stabilise", "normal", "read-heavy", "write-heavy", "db-stress", "ramp-down"),
                     Options.parse(List.of("--stage", "demo"), ENV).stageNames());
        assertTrue(Options.parse(List.of("--stage", "db-stress"), ENV).stages().getFirst().stress());
    }

    @Test
    void overridesApplyAndTheTargetComesFromApiUrl() {
        RunConfig o = Options.parse(List.of("--stage", "normal", "--users", "3", "--duration", "1m30s", "--ramp=2s",
                                          "--read-ratio", "90%", "--think-time", "0", "--seed", "7"),
                                  Map.of("API_URL", "http://10.0.1.10:5000"));
        Stage s = o.stages().getFirst();
        assertEquals(3, s.users());
        assertEquals(Duration.ofSeconds(90), s.duration());
        assertEquals(Duration.ofSeconds(2), s.ramp());
        assertEquals(0.9, s.readRatio(), 1e-9);
        assertEquals(Duration.ZERO, s.thinkMax());
        assertEquals("http://10.0.1.10:5000", o.target().toString());
        assertEquals(7, o.seed());
        assertEquals(200.0, Options.parse(List.of("--stage", "normal", "--rate", "200/s"), ENV).stages().getFirst()
                .rate());
    }

    @Test
    void thresholdOnTheCommandLineReplacesTheDefaultForTheSameTarget() {
        RunConfig o = Options.parse(List.of("--stage", "normal", "--threshold", "all:p95<250ms",
                                          "--threshold", "read:p99.9<1s"), ENV);
        assertEquals(List.of("normal/all:errors<5%", "all:p95<250ms", "read:p99.9<1s"),
                     o.thresholds().stream().map(Threshold::expression).toList());
        assertEquals(1000.0, o.thresholds().get(2).limit());
    }

    @Test
    void malformedOrUnknownThresholdsAreConfigErrors() {
        List<String> stages = List.of("normal");
        for (String bad : List.of("reads:p95<300ms", "read:p97<300ms", "read:p95<300", "read:p95>300ms",
                                  "all:errors<5", "read:errors<5ms", "all:shed<5ms", "db-stress/read:p95<1s", "read p95 300ms", "")) {
            assertThrows(ConfigException.class, () -> Threshold.parse(bad, stages), bad);
        }
        assertEquals(0.02, Threshold.parse("write:shed<2%", stages).limit(), 1e-12);
        Threshold t = Threshold.parse("all:errors<2.5%", stages);
        assertEquals(0.025, t.limit(), 1e-12);
        assertEquals(0.3, Threshold.parse("write:p50<300us", stages).limit(), 1e-12);
    }

    @Test
    void configurationErrorsExitWith2BeforeAnyLoad() {
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "normal", "--threshold", "reed:p95<300ms"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "normal", "--threshold", "read:p95<<300ms"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "nomral"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "normal", "--duration", "5 minutes"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "normal", "--frobnicate"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--users", "5"));
        assertEquals(ExitCode.CONFIG_ERROR, run("--stage", "normal", "--read-ratio", "1.5"));
    }

    @Test
    void unreachableTargetExitsWith3(@TempDir Path dir) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        assertEquals(ExitCode.UNREACHABLE, run("--stage", "normal", "--target", "http://127.0.0.1:" + closedPort,
                                               "--metrics-host", "127.0.0.1", "--metrics-port", "0",
                                               "--out", dir.toString()));
    }

    @Test
    void helpDocumentsEveryOptionTheParserAccepts() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(ExitCode.PASS, Main.run(List.of("--help"), ENV, new PrintStream(out, true, StandardCharsets.UTF_8),
                                             System.err, false, m -> { }));
        String help = out.toString(StandardCharsets.UTF_8);
        String source = Files.readString(Path.of("src/main/java/dev/promdemo/loadtest/cli/Options.java"));
        Matcher m = Pattern.compile("case (\"--[a-z-]+\"(?:, \"-?-?[a-z-]+\")*) ->").matcher(source);
        int options = 0;
        while (m.find()) {
            for (String option : m.group(1).split(", ")) {
                String name = option.replace("\"", "");
                assertTrue(help.contains(name), "--help does not mention " + name);
                options++;
            }
        }
        assertTrue(options >= 25, "found only " + options + " options in the parser");
        for (String code : List.of("0 pass", "2 configuration error", "3 target unreachable", "99", "130 interrupted")) {
            assertTrue(help.contains(code), "--help does not document exit code " + code);
        }
    }

    @Test
    void faultsAddTheFaultStagesAfterDbStressAndTheirExpectations() {
        RunConfig o = Options.parse(List.of("--stage", "demo", "--faults", "--prometheus", "http://127.0.0.1:9/"),
                                    Map.of("FAULT_COMMAND", "true {fault} {seconds}"));
        assertEquals(List.of("stabilise", "normal", "read-heavy", "write-heavy", "db-stress", "db-outage", "db-slow",
                             "api-crash", "ramp-down"), o.stageNames());
        assertEquals("http://127.0.0.1:9", o.prometheus().toString());
        assertEquals("local", o.faults().mode());
        assertTrue(o.alerts().stream().anyMatch(a -> a.expression().equals("db-outage:MysqlDown")));
        assertTrue(o.promThresholds().stream().noneMatch(t -> t.stage().equals("db-stress")
                && t.name().equals("host CPU")), "db-stress causes its CPU");
        ConfigException e = assertThrows(ConfigException.class,
                                         () -> Options.parse(List.of("--stage", "normal", "--faults"), ENV));
        assertTrue(e.getMessage().contains("--faults"), e.getMessage());
    }

    @Test
    void aFaultStageNeverEndsBeforeItsFaultAndAMinuteAfter() {
        Stage s = Options.parse(List.of("--stage", "db-outage", "--duration", "10s", "--fault-length", "20s"), ENV)
                .stages().getFirst();
        assertEquals(Duration.ofSeconds(20), s.fault().length());
        assertEquals(Duration.ofSeconds(140), s.length(), "60s before, 20s of fault, 60s after");
        assertEquals("unavailable", Options.parse(List.of("--stage", "db-slow"), ENV).faults().mode());
    }

    @Test
    void prometheusVerdictsNeedPrometheusAndValidExpressions() {
        assertThrows(ConfigException.class, () -> Options.parse(List.of("--stage", "db-outage", "--expect-alert",
                                                                        "db-outage:MysqlDown"), ENV));
        assertThrows(ConfigException.class, () -> Options.parse(List.of("--stage", "normal", "--threshold",
                                                                        "prom:up > 0"), ENV));
        Map<String, String> env = Map.of("PROMETHEUS_URL", "http://127.0.0.1:9");
        assertThrows(ConfigException.class, () -> Options.parse(List.of("--stage", "normal", "--expect-alert",
                                                                        "db-outage:MysqlDown"), env));
        RunConfig o = Options.parse(List.of("--stage", "normal", "--threshold", "prom:up > 0", "--threshold",
                                            "normal/prom:job:http_server_requests_errors_per_requests:ratio_rate1m"
                                                    + " < 0.01"), env);
        assertEquals(1, o.promThresholds().stream().filter(t -> t.query().equals(
                "job:http_server_requests_errors_per_requests:ratio_rate1m")).count(), "the given one replaces");
        assertTrue(o.promThresholds().stream().anyMatch(t -> t.limit() == 0.01));
        assertTrue(Options.parse(List.of("--stage", "normal"), ENV).promThresholds().isEmpty(),
                   "no Prometheus, no Prometheus verdicts");
        assertThrows(ConfigException.class, () -> Options.parse(List.of("--stage", "db-slow", "--fault-command",
                                                                        "fault.sh db-slow"), ENV));
    }

    @Test
    void aShardRunsItsShareOfEveryStageWithItsOwnSeed() {
        List<String> args = List.of("--stage", "demo", "--users", "10", "--max-in-flight", "5", "--seed", "7");
        RunConfig whole = Options.parse(args, ENV);
        RunConfig[] shards = new RunConfig[3];
        for (int i = 0; i < 3; i++) {
            List<String> sharded = new ArrayList<>(args);
            sharded.addAll(List.of("--shard", (i + 1) + "/3"));
            shards[i] = Options.parse(sharded, ENV);
        }
        for (int s = 0; s < whole.stages().size(); s++) {
            Stage w = whole.stages().get(s);
            int users = 0;
            int from = 0;
            for (RunConfig shard : shards) {
                Stage part = shard.stages().get(s);
                assertEquals(w.length(), part.length(), w.name());
                users += part.users();
                from += part.fromUsers();
            }
            assertEquals(w.users(), users, w.name() + ": the shards' users add up");
            assertEquals(w.fromUsers(), from, w.name() + ": so do the users the ramp starts from");
        }
        assertEquals(List.of(4, 3, 3), List.of(shards[0].stages().get(1).users(), shards[1].stages().get(1).users(),
                                               shards[2].stages().get(1).users()));
        assertEquals(List.of(2, 2, 1), List.of(shards[0].maxInFlight(), shards[1].maxInFlight(),
                                               shards[2].maxInFlight()));
        assertEquals(7, shards[0].seed());
        assertEquals(7 + 0x9E3779B97F4A7C15L, shards[1].seed());
        assertEquals(3, Stream.of(shards).map(RunConfig::seed).distinct().count());
        RunConfig open = Options.parse(List.of("--stage", "normal", "--rate", "100/s", "--max-in-flight", "2",
                                               "--shard", "3/4"), ENV);
        assertEquals(25, open.stages().getFirst().partRate(), 1e-12);
        assertEquals(100, open.stages().getFirst().rate(), 1e-12, "every fourth request of the whole schedule");
        assertEquals(1, open.maxInFlight(), "at least one request in flight");
    }

    @Test
    void shardOneOfOneIsTheUnshardedRun() {
        List<String> args = List.of("--stage", "demo", "--faults", "--users", "11", "--seed", "5", "--out", "x");
        RunConfig whole = Options.parse(args, ENV);
        List<String> sharded = new ArrayList<>(args);
        sharded.addAll(List.of("--shard", "1/1"));
        RunConfig one = Options.parse(sharded, ENV);
        assertEquals(whole.stages(), one.stages());
        assertEquals(whole.seed(), one.seed());
        assertEquals(whole.maxInFlight(), one.maxInFlight());
        assertEquals(whole.thresholds(), one.thresholds());
        assertEquals(whole.shard(), one.shard());
    }

    @Test
    void startAtIsAnIsoInstantNeitherLongPastNorADayAhead() {
        Instant soon = Instant.now().plusSeconds(30).truncatedTo(ChronoUnit.SECONDS);
        assertEquals(soon, Options.parse(List.of("--stage", "normal", "--start-at", soon.toString()), ENV).startAt());
        assertNull(Options.parse(List.of("--stage", "normal"), ENV).startAt());
        // Within the slack a late shard still starts; past it, the shards would be out of step.
        Options.checkStartAt(Instant.parse("2026-12-06T06:30:00Z"), Instant.parse("2026-12-06T06:30:04Z"));
        ConfigException late = assertThrows(ConfigException.class, () -> Options.checkStartAt(
                Instant.parse("2026-12-06T06:30:00Z"), Instant.parse("2026-12-06T06:30:07Z")));
        assertTrue(late.getMessage().contains("passed 7 s ago"), late.getMessage());
        assertThrows(ConfigException.class, () -> Options.checkStartAt(Instant.parse("2026-12-08T06:30:00Z"),
                                                                       Instant.parse("2026-12-06T06:30:00Z")));
        for (String bad : List.of("06:30", "2026-12-06T06:30:00", "tomorrow", "2026-13-06T06:30:00Z", "")) {
            ConfigException e = assertThrows(ConfigException.class, () -> Options.parse(
                    List.of("--stage", "normal", "--start-at", bad), ENV), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void badShardOrStartAtExitsWith2AndWritesNothing(@TempDir Path dir) {
        Path out = dir.resolve("run");
        for (String[] bad : List.of(new String[] {"--shard", "4/3"}, new String[] {"--shard", "0/2"},
                                    new String[] {"--shard", "1/65"}, new String[] {"--shard", "two"},
                                    new String[] {"--start-at", "2020-01-01T00:00:00Z"},
                                    new String[] {"--start-at", "soon"})) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            PrintStream sink = new PrintStream(err, true, StandardCharsets.UTF_8);
            assertEquals(ExitCode.CONFIG_ERROR, Main.run(List.of("--stage", "normal", "--out", out.toString(),
                                                                 bad[0], bad[1]), ENV, sink, sink, false, m -> { }));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains(bad[0]), err.toString(StandardCharsets.UTF_8));
            assertTrue(Files.notExists(out), "nothing is written for " + String.join(" ", bad));
        }
    }

    @Test
    void mergeOptionsAreParsedAndBadOnesExitWith2(@TempDir Path dir) {
        MergeConfig c = Options.parseMerge(List.of("--out", "m", "--threshold", "all:p99<1s",
                                                   "--no-default-thresholds", "a", "b"));
        assertEquals(List.of(Path.of("a"), Path.of("b")), c.dirs());
        assertEquals(Path.of("m"), c.out());
        assertEquals(List.of("all:p99<1s"), c.thresholds().apply(List.of("normal")).stream()
                .map(Threshold::expression).toList());
        assertEquals(List.of("normal/all:errors<5%", "normal/all:p95<100ms"),
                     Options.parseMerge(List.of("a")).thresholds().apply(List.of("normal")).stream()
                             .map(Threshold::expression).toList());
        assertEquals(Path.of("merged"), Options.parseMerge(List.of("a")).out());
        assertThrows(ConfigException.class, () -> Options.parseMerge(List.of("--frobnicate", "a")));
        assertThrows(ConfigException.class, () -> Options.parseMerge(List.of("--out", "m")));
        assertThrows(ConfigException.class, () -> Options.parseMerge(List.of("a", "--out")));
        Path out = dir.resolve("merged");
        assertEquals(ExitCode.CONFIG_ERROR, run("merge", "--out", out.toString()));
        assertEquals(ExitCode.CONFIG_ERROR, run("merge", "--out", out.toString(), dir.resolve("nothing").toString()));
        assertTrue(Files.notExists(out), "a merge that fails its checks writes nothing");
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        assertEquals(ExitCode.PASS, Main.run(List.of("merge", "--help"), ENV,
                                             new PrintStream(help, true, StandardCharsets.UTF_8), System.err, false,
                                             m -> { }));
        for (String option : List.of("--out", "--threshold", "--no-default-thresholds", "130")) {
            assertTrue(help.toString(StandardCharsets.UTF_8).contains(option), "merge --help lacks " + option);
        }
    }

    private static int run(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return Main.run(List.of(args), ENV, sink, sink, false, m -> { });
    }
}
