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
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.promdemo.loadtest.ExitCode;
import dev.promdemo.loadtest.RunConfig;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Threshold;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private static int run(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return Main.run(List.of(args), ENV, sink, sink, false, m -> { });
    }
}
