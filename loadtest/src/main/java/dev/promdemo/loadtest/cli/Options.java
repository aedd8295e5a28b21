/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.cli;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.promdemo.loadtest.MergeConfig;
import dev.promdemo.loadtest.RunConfig;
import dev.promdemo.loadtest.fault.DbStress;
import dev.promdemo.loadtest.fault.FaultInjection;
import dev.promdemo.loadtest.plan.AlertExpectation;
import dev.promdemo.loadtest.plan.ConfigException;
import dev.promdemo.loadtest.plan.Fault;
import dev.promdemo.loadtest.plan.PromThreshold;
import dev.promdemo.loadtest.plan.Shard;
import dev.promdemo.loadtest.plan.Stage;
import dev.promdemo.loadtest.plan.Stages;
import dev.promdemo.loadtest.plan.Threshold;

/**
 * The command line and the environment, parsed into a {@link RunConfig}; the only place that sees either.
 */
final class Options {
    /** The text of {@code --help}. */
    static final String HELP = """
            usage: java -jar loadtest.jar --stage <name> [--target URL] [options]

            Drives the order API through staged load, measures latency with HdrHistogram (observed and
            coordinated-omission-corrected), serves Prometheus metrics, judges thresholds and writes
            summary.json, latency.hlog and report.html.

            Stages (--stage), defaults from the demo's original spec; ramp 10s, think time 1s-3s unless overridden:
            {stages}

            Load (each overrides the stage's default; with demo, every part of the flow):
              --target URL            API base URL (default: $API_URL, else http://127.0.0.1:5000)
              --users N               virtual users after the ramp (closed model: one virtual thread per user)
              --duration D            steady-state length after the ramp, e.g. 60s, 5m, 1m30s
              --ramp D                ramp-up length; users start evenly over it (Locust's spawn rate = users/ramp);
                                      excluded from steady-state statistics (default 10s)
              --read-ratio R          share of reads, 0..1 or a percentage (0.8 or 80%); the rest are writes
              --think-time D[-D]      uniform think time between a user's requests (default 1s-3s; 0 for none)
              --rate N[/s]            open model instead of users: start N requests per second at fixed intended
                                      times (wrk2 style) whatever the responses do; over the ramp (0 unless
                                      --ramp is given) the rate rises linearly from 0 to N
              --max-in-flight N       open model: the most requests in flight (default 512); beyond it sends wait
                                      and the wait shows as schedule lag and in the corrected latency
              --seed N                seed for every random choice, so a run can be repeated (default 1)
              --customers N           new orders use customer ids 1..N (default 10000, the seeded database)
              --products N            new orders use product ids 1..N (default 5000)
              --timeout D             request timeout, counted as a timeout error with its latency (default 10s)
              --connect-timeout D     connection timeout, counted as connect_error (default 2s)

            Thresholds (exit 99 when one fails; an unknown name or malformed value is exit 2 at start-up):
              --threshold EXPR        [stage/]scope:metric<value, repeatable. scope: read, write, all.
                                      metric: p50 p90 p95 p99 p99.9 max (unit us, ms or s) or errors (unit %).
                                      e.g. 'read:p95<300ms'  'all:errors<1%'  'db-stress/write:p99<2s'.
                                      Latency is judged on the steady-state corrected latency; errors on the
                                      whole stage. One given here replaces a default for the same target.
              --no-default-thresholds drop the built-in thresholds listed above, the Prometheus ones included

            Verdicts from Prometheus (each stage is judged from what Prometheus saw; exit 99 when one fails):
              --prometheus URL        the Prometheus that scrapes the API and this generator (default:
                                      $PROMETHEUS_URL; none: no Prometheus verdicts). Every stage then checks the
                                      validation checklist: API error ratio < 5%, host CPU < 95%, memory < 90%,
                                      every target up, and the orders the API counted = the orders acknowledged,
                                      less what the stage causes on purpose (db-stress: CPU; faults: errors ...)
              --threshold 'prom:EXPR OP N'
                                      [stage/]prom:<PromQL> <op> <number>, op < <= > >=: every point of every
                                      series, from a minute into the stage to its end, must hold; with {window}
                                      in the PromQL (replaced by the stage's length) it is judged once at the end.
                                      e.g. 'prom:job:http_server_requests_errors_per_requests:ratio_rate1m < 0.01'
                                      A recording rule it names must exist (exit 2 otherwise).
              --expect-alert S:NAME   alert NAME must start firing during stage S's fault (within its for: plus
                                      105s of the fault starting) and resolve within 2m of the fault ending;
                                      repeatable. An alert Prometheus does not have is exit 2 at start-up.
                                      Fault stages expect the runbook's alerts by default (listed above).

            Faults (the fault stages; a fault that does not start, or is not undone, fails its stage):
              --faults                with demo: run db-outage, db-slow and api-crash after db-stress
              --fault-length D        how long each fault lasts instead of its default; its stage lasts until a
                                      minute after it at least (a --duration too short for that is stretched)
              --fault-command CMD     runs the fault: {fault} and {seconds} are replaced; it prints 'fault on'
                                      once in effect, undoes it after {seconds} or at once on SIGTERM, and
                                      exits 0 (default $FAULT_COMMAND, which the local stack sets). Without it,
                                      and with $DB_INSTANCE_ID set, Run Command sends ${PROJECT}-<fault>
                                      (parameter durationSeconds) to $DB_INSTANCE_ID (db-*) or $API_INSTANCE_ID
                                      (api-crash), and ${PROJECT}-<fault>-undo if the stage ends early

            Database CPU stress (stages marked with CPU stress; a stage whose stress does not start fails):
              --stress MODE           auto (default: aws if $DB_INSTANCE_ID is set, else sql if $DB_STRESS_URL or
                                      $DB_HOST is set, else local if stress-ng is on the PATH, else the stage
                                      fails), local, aws, sql or none. sql runs CPU-bound statements in the
                                      database itself (SELECT BENCHMARK(...)), for RDS where stress-ng cannot
                                      run: JDBC URL $DB_STRESS_URL (default jdbc:mysql://$DB_HOST:3306/), account
                                      $DB_STRESS_USER (default stress, needs no privilege) / $DB_STRESS_PASSWORD
              --stress-connections N  sql: statements run at once, each one database thread (default 4)
              --no-stress             same as --stress none: run stress stages without stress
              --stress-command CMD    command started (sh -c) when the stage starts instead; {seconds} is replaced
                                      by the stage length. local runs stress-ng --cpu 0 --timeout {seconds}s
                                      aws sends the Run Command document $DB_STRESS_DOCUMENT (default
                                      ${PROJECT:-prometheus-demo}-db-stress, parameter durationSeconds) to
                                      $DB_INSTANCE_ID and waits until it is InProgress
              --stress-stop-command CMD  run when the stage ends early or is interrupted (aws: sends
                                      $DB_STRESS_STOP_DOCUMENT, default <project>-db-stress-stop); the local
                                      command is simply killed

            Several load generators as one test (each runs the same stage(s); 'loadtest merge' joins them):
              --shard I/N             this is shard I of N (1 <= I <= N <= 64): it runs floor(U/N) users (+1 if
                                      I <= U mod N) for U users; with --rate R, every N-th request of the R/s
                                      schedule from request I-1 (R/N req/s); max-in-flight split the same way (at
                                      least 1); seed + (I-1) * 0x9E3779B97F4A7C15 (mod 2^64). Only shard 1 starts
                                      CPU stress and faults and judges from Prometheus (summing every load
                                      generator's counts). 1/1 is the same as no --shard
              --start-at TIME         after preflight, wait until TIME (ISO-8601, e.g. 2026-12-06T06:30:00Z)
                                      before the first ramp, so shards on several hosts start together; a TIME
                                      more than 5s past when the wait begins is exit 2

            Outputs:
              --out DIR               output directory (default loadtest-results/<timestamp>/): summary.json,
                                      latency.hlog (HdrHistogram interval log), report.html (self-contained)
              --interval D            progress line and time-series interval (default 5s)
              --verify all|N          after the run re-read all (or a random sample of N) created orders and
                                      report any missing or different (exit 99); default: off
              --metrics-host ADDR     Prometheus endpoint address (default 0.0.0.0)
              --metrics-port N        Prometheus endpoint port, path /metrics (default 9464; 0 = any free port)
              --linger D              keep serving /metrics after the run so the last values are scraped
                                      (default 30s, two 15s scrape intervals)
              --help                  this text

            Exit codes: 0 pass, 2 configuration error, 3 target unreachable at preflight,
                        99 a threshold or the verification pass failed, 130 interrupted (SIGINT or SIGTERM),
                        1 an unexpected failure of the generator itself.

            usage: java -jar loadtest.jar merge [--out DIR] [--threshold EXPR]... [--no-default-thresholds] DIR...
              joins the output directories of shards 1..N of one test (see merge --help)
            """.replace("{stages}", Stages.help().stripTrailing());

    /** The text of {@code merge --help}. */
    static final String MERGE_HELP = """
            usage: java -jar loadtest.jar merge [--out DIR] [--threshold EXPR]... [--no-default-thresholds] DIR...

            Joins the output directories (--out) of shards 1..N of one test (--shard I/N) into one result: the
            shards' interval logs are added per interval and per operation, counts summed, and the thresholds
            judged once on the union. Shard 1's Prometheus verdicts and every shard's verification are carried.
            The directories must hold shards 1..N of the same stage(s) with the same --start-at, each once.

              --out DIR               where summary.json, latency.hlog and report.html go (default ./merged);
                                      not one of the shards' directories
              --threshold EXPR        [stage/]scope:metric<value as for a run; replaces the default for the same
                                      target (prom: thresholds are judged by shard 1 during the run, not here)
              --no-default-thresholds drop the stages' built-in thresholds
              --help                  this text

            Exit codes: 0 pass, 2 the directories are not one test's shards 1..N (or an option is wrong),
                        99 a threshold, a Prometheus verdict, a stress or fault, or a verification failed,
                        130 a shard was interrupted, 1 an unexpected failure of the generator itself.
            """;

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|h|m|s)");

    /**
     * Parses the command line.
     *
     * @param args the arguments
     * @param env the environment ({@code API_URL}, {@code DB_INSTANCE_ID}, {@code API_INSTANCE_ID},
     *            {@code DB_STRESS_DOCUMENT}, {@code DB_STRESS_STOP_DOCUMENT}, {@code PROJECT}, {@code PATH},
     *            {@code DB_HOST}, {@code DB_STRESS_URL}, {@code DB_STRESS_USER}, {@code DB_STRESS_PASSWORD},
     *            {@code GIT_COMMIT}, {@code PROMETHEUS_URL}, {@code FAULT_COMMAND})
     * @return what to run, or {@code null} if {@code --help} was asked for
     * @throws ConfigException if anything is unknown or malformed
     */
    static RunConfig parse(List<String> args, Map<String, String> env) {
        Parser p = new Parser(new ArrayList<>(args));
        String stageName = null;
        String target = env.getOrDefault("API_URL", "http://127.0.0.1:5000");
        Integer users = null;
        Duration duration = null;
        Duration ramp = null;
        Double readRatio = null;
        Duration[] think = null;
        Double rate = null;
        long seed = 1;
        List<String> thresholdTexts = new ArrayList<>();
        boolean defaultThresholds = true;
        Path out = null;
        String metricsHost = "0.0.0.0";
        int metricsPort = 9464;
        Duration linger = Duration.ofSeconds(30);
        Duration interval = Duration.ofSeconds(5);
        Duration timeout = Duration.ofSeconds(10);
        Duration connectTimeout = Duration.ofSeconds(2);
        int maxInFlight = 512;
        int customers = 10_000;
        int products = 5_000;
        String stressMode = "auto";
        String stressCommand = null;
        String stressStopCommand = null;
        int stressConnections = DbStress.Settings.DEFAULT_SQL_CONNECTIONS;
        int verify = -1;
        boolean help = false;
        boolean faults = false;
        Duration faultLength = null;
        String faultCommand = env.get("FAULT_COMMAND");
        String prometheus = env.get("PROMETHEUS_URL");
        List<String> alertTexts = new ArrayList<>();
        Shard shard = Shard.WHOLE;
        Instant startAt = null;
        while (p.hasNext()) {
            String option = p.next();
            switch (option) {
                case "--help", "-h" -> help = true;
                case "--stage" -> stageName = p.value(option);
                case "--target" -> target = p.value(option);
                case "--users" -> users = p.intValue(option, 0, 100_000);
                case "--duration" -> duration = duration(option, p.value(option));
                case "--ramp" -> ramp = duration(option, p.value(option));
                case "--read-ratio" -> readRatio = ratio(option, p.value(option));
                case "--think-time" -> think = thinkTime(option, p.value(option));
                case "--rate" -> rate = rate(option, p.value(option));
                case "--max-in-flight" -> maxInFlight = p.intValue(option, 1, 1_000_000);
                case "--seed" -> seed = p.longValue(option);
                case "--customers" -> customers = p.intValue(option, 1, Integer.MAX_VALUE);
                case "--products" -> products = p.intValue(option, 1, Integer.MAX_VALUE);
                case "--timeout" -> timeout = positive(option, duration(option, p.value(option)));
                case "--connect-timeout" -> connectTimeout = positive(option, duration(option, p.value(option)));
                case "--threshold" -> thresholdTexts.add(p.value(option));
                case "--no-default-thresholds" -> defaultThresholds = false;
                case "--stress" -> stressMode = p.value(option);
                case "--no-stress" -> stressMode = "none";
                case "--stress-command" -> stressCommand = p.value(option);
                case "--stress-stop-command" -> stressStopCommand = p.value(option);
                case "--stress-connections" -> stressConnections = p.intValue(option, 1, 64);
                case "--out" -> out = Path.of(p.value(option));
                case "--interval" -> interval = positive(option, duration(option, p.value(option)));
                case "--verify" -> {
                    String value = p.value(option);
                    verify = value.equals("all") ? 0 : p.parseInt(option, value, 1, 10_000_000);
                }
                case "--faults" -> faults = true;
                case "--fault-length" -> faultLength = positive(option, duration(option, p.value(option)));
                case "--fault-command" -> faultCommand = p.value(option);
                case "--prometheus" -> prometheus = p.value(option);
                case "--expect-alert" -> alertTexts.add(p.value(option));
                case "--metrics-host" -> metricsHost = p.value(option);
                case "--metrics-port" -> metricsPort = p.intValue(option, 0, 65535);
                case "--linger" -> linger = duration(option, p.value(option));
                case "--shard" -> shard = Shard.parse(p.value(option));
                case "--start-at" -> startAt = instant(option, p.value(option));
                default -> throw new ConfigException("unknown option '" + option + "' (see --help)");
            }
        }
        if (help) {
            return null;
        }
        if (startAt != null) {
            checkStartAt(startAt, Instant.now());
        }
        if (stageName == null) {
            throw new ConfigException("--stage is required; one of " + Stages.NAMES + " (see --help)");
        }
        List<Stage> stages = new ArrayList<>();
        if (faults && !stageName.equals("demo")) {
            throw new ConfigException("--faults adds the fault stages to --stage demo; run one alone with --stage "
                                              + "db-outage, db-slow or api-crash");
        }
        for (Stage s : Stages.named(stageName, faults)) {
            stages.add(shard.apply(override(s, users, duration, ramp, readRatio, think, rate, faultLength)));
        }
        URI targetUri = targetUri(target);
        List<String> stageNames = stages.stream().map(Stage::name).toList();
        List<Threshold> thresholds = thresholds(stageNames, defaultThresholds, thresholdTexts);
        List<PromThreshold> promThresholds = new ArrayList<>();
        List<AlertExpectation> alerts = new ArrayList<>();
        if (defaultThresholds) {
            for (Stage s : stages) {
                promThresholds.addAll(Stages.defaultPromThresholds(s.name()));
            }
        }
        for (Stage s : stages) {
            alerts.addAll(Stages.defaultAlerts(s.name()));
        }
        for (String text : alertTexts) {
            AlertExpectation a = AlertExpectation.parse(text, stageNames);
            alerts.removeIf(d -> d.stage().equals(a.stage()) && d.alert().equals(a.alert()));
            alerts.add(a);
        }
        for (String text : thresholdTexts) {
            if (PromThreshold.matches(text)) {
                PromThreshold t = PromThreshold.parse(text, stageNames);
                promThresholds.removeIf(d -> (t.stage() == null || t.stage().equals(d.stage()))
                        && d.query().equals(t.query()));
                promThresholds.add(t);
            }
        }
        if (out == null) {
            out = Path.of("loadtest-results", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        DbStress.Settings stress = DbStress.Settings.resolve(
                stressMode, stressCommand, stressStopCommand, stressConnections,
                new DbStress.Environment(env.get("DB_INSTANCE_ID"), env.getOrDefault("PATH", ""),
                                         env.get("DB_STRESS_DOCUMENT"), env.get("DB_STRESS_STOP_DOCUMENT"),
                                         env.get("PROJECT"), env.get("DB_HOST"), env.get("DB_STRESS_URL"),
                                         env.get("DB_STRESS_USER"), env.get("DB_STRESS_PASSWORD")));
        URI prometheusUri = prometheus == null || prometheus.isBlank() ? null : prometheusUri(prometheus);
        if (prometheusUri == null
                && (!alertTexts.isEmpty() || thresholdTexts.stream().anyMatch(PromThreshold::matches))) {
            throw new ConfigException("--expect-alert and prom: thresholds need --prometheus URL (or PROMETHEUS_URL)");
        }
        FaultInjection.Settings faultSettings = FaultInjection.Settings.resolve(
                faultCommand, env.get("DB_INSTANCE_ID"), env.get("API_INSTANCE_ID"), env.get("PROJECT"),
                env.getOrDefault("PATH", ""));
        return new RunConfig(stageName, List.copyOf(stages), targetUri, shard.seed(seed), List.copyOf(thresholds), out,
                             metricsHost, metricsPort, linger, interval, timeout, connectTimeout,
                             Math.max(1, shard.share(maxInFlight)),
                             customers, products, stress, verify, List.copyOf(args),
                             env.get("GIT_COMMIT"), faultSettings, prometheusUri,
                             prometheusUri == null ? List.of() : List.copyOf(promThresholds),
                             prometheusUri == null ? List.of() : List.copyOf(alerts), shard, startAt);
    }

    /**
     * The thresholds of a run (or a merge): each stage's defaults unless dropped, then the given ones, each replacing
     * a default for the same stage, scope and metric. {@code prom:} thresholds are left to the caller.
     *
     * @param stageNames the stages, for the defaults and to check a stage prefix
     * @param defaults whether the defaults apply
     * @param texts the {@code --threshold} values
     * @return the thresholds
     * @throws ConfigException if one is malformed or names an unknown stage
     */
    private static List<Threshold> thresholds(List<String> stageNames, boolean defaults, List<String> texts) {
        List<Threshold> thresholds = new ArrayList<>();
        if (defaults) {
            for (String s : stageNames) {
                thresholds.addAll(Stages.defaultThresholds(s));
            }
        }
        for (String text : texts) {
            if (PromThreshold.matches(text)) {
                continue;
            }
            Threshold t = Threshold.parse(text, stageNames);
            thresholds.removeIf(d -> d.stage() != null && (t.stage() == null || t.stage().equals(d.stage()))
                    && d.scope().equals(t.scope()) && d.metric().equals(t.metric()));
            thresholds.add(t);
        }
        return List.copyOf(thresholds);
    }

    /**
     * Parses {@code merge}'s command line (what follows the word {@code merge}). The thresholds are parsed against
     * the shards' stages once the directories have been read, before anything is written.
     *
     * @param args the arguments after {@code merge}
     * @return what to merge, or {@code null} if {@code --help} was asked for
     * @throws ConfigException if an option is unknown or malformed, or no directory is given
     */
    static MergeConfig parseMerge(List<String> args) {
        Parser p = new Parser(new ArrayList<>(args));
        Path out = Path.of("merged");
        List<String> thresholdTexts = new ArrayList<>();
        boolean defaults = true;
        List<Path> dirs = new ArrayList<>();
        boolean help = false;
        while (p.hasNext()) {
            String arg = p.next();
            switch (arg) {
                case "--help", "-h" -> help = true;
                case "--out" -> out = Path.of(p.value(arg));
                case "--threshold" -> thresholdTexts.add(p.value(arg));
                case "--no-default-thresholds" -> defaults = false;
                default -> {
                    if (arg.startsWith("-")) {
                        throw new ConfigException("merge: unknown option '" + arg + "' (see merge --help)");
                    }
                    dirs.add(Path.of(arg));
                }
            }
        }
        if (help) {
            return null;
        }
        if (dirs.isEmpty()) {
            throw new ConfigException("merge: name the shards' output directories (see merge --help)");
        }
        boolean defaultThresholds = defaults;
        List<String> texts = List.copyOf(thresholdTexts);
        return new MergeConfig(List.copyOf(dirs), out, stages -> thresholds(stages, defaultThresholds, texts),
                               texts.stream().filter(PromThreshold::matches).toList(), List.copyOf(args));
    }

    private static Instant instant(String option, String text) {
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConfigException(option + ": '" + text + "' is not an ISO-8601 time with a zone, e.g. "
                                              + "2026-12-06T06:30:00Z");
        }
    }

    /**
     * Refuses a start time that has passed by more than {@link RunConfig#START_LATE} or lies more than a day ahead,
     * both surely mistakes.
     *
     * @param startAt the start time
     * @param now now
     * @throws ConfigException if it is out of bounds
     */
    static void checkStartAt(Instant startAt, Instant now) {
        Duration late = Duration.between(startAt, now);
        if (late.compareTo(RunConfig.START_LATE) > 0) {
            throw new ConfigException("--start-at: start time " + startAt + " passed " + late.toSeconds()
                                              + " s ago (more than " + RunConfig.START_LATE.toSeconds()
                                              + " s), so this shard would start out of step with the others");
        }
        if (late.negated().compareTo(Duration.ofDays(1)) > 0) {
            throw new ConfigException("--start-at: start time " + startAt + " is more than a day ahead");
        }
    }

    private static Stage override(Stage s, Integer users, Duration duration, Duration ramp, Double readRatio,
                                  Duration[] think, Double rate, Duration faultLength) {
        boolean rampDown = s.users() < s.fromUsers();
        int to = users == null ? s.users() : (rampDown ? 0 : users);
        int from = users == null || !rampDown ? s.fromUsers() : users;
        Duration d = duration == null || rampDown ? s.duration() : duration;
        Duration r = ramp == null ? (rate != null && !rampDown ? Duration.ZERO : s.ramp()) : ramp;
        if (rampDown && duration != null) {
            // The ramp-down has no steady state; a shorter --duration shortens its ramp instead.
            r = duration.compareTo(s.ramp()) < 0 ? duration : s.ramp();
        }
        Fault fault = s.fault();
        if (fault != null) {
            if (faultLength != null) {
                fault = new Fault(fault.name(), fault.after(), faultLength, fault.does());
                d = duration == null ? fault.end().plusSeconds(90).minus(r) : d;
            }
            // A fault stage never ends before its fault and a minute of recovery after it.
            Duration least = fault.end().plusSeconds(60).minus(r);
            d = d.compareTo(least) < 0 ? least : d;
        }
        return new Stage(s.name(), from, to, rate == null || rampDown ? 0 : rate, r, d,
                         readRatio == null ? s.readRatio() : readRatio,
                         think == null ? s.thinkMin() : think[0], think == null ? s.thinkMax() : think[1],
                         s.stress(), fault);
    }

    private static URI prometheusUri(String text) {
        try {
            URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new ConfigException("--prometheus must be an http(s) URL with a host, was '" + text + "'");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--prometheus is not a URL: '" + text + "'");
        }
    }

    private static URI targetUri(String text) {
        try {
            URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new ConfigException("--target must be an http(s) URL with a host, was '" + text + "'");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--target is not a URL: '" + text + "'");
        }
    }

    /**
     * Parses {@code 250ms}, {@code 90s}, {@code 5m}, {@code 1m30s}, {@code 1h} or {@code 0}.
     *
     * @param option the option, for the message
     * @param text the value
     * @return the duration
     */
    static Duration duration(String option, String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION_PART.matcher(text);
        int end = 0;
        double nanos = 0;
        while (m.find() && m.start() == end) {
            double value = Double.parseDouble(m.group(1));
            nanos += value * switch (m.group(2)) {
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            end = m.end();
        }
        if (end == 0 || end != text.length()) {
            throw new ConfigException(option + ": '" + text + "' is not a duration (e.g. 500ms, 60s, 5m, 1m30s)");
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    private static Duration positive(String option, Duration d) {
        if (d.isZero()) {
            throw new ConfigException(option + " must be more than 0");
        }
        return d;
    }

    private static Duration[] thinkTime(String option, String text) {
        int dash = text.indexOf('-');
        Duration min = duration(option, dash < 0 ? text : text.substring(0, dash));
        Duration max = dash < 0 ? min : duration(option, text.substring(dash + 1));
        if (max.compareTo(min) < 0) {
            throw new ConfigException(option + ": the maximum is below the minimum in '" + text + "'");
        }
        return new Duration[] {min, max};
    }

    private static double ratio(String option, String text) {
        try {
            double value = text.endsWith("%") ? Double.parseDouble(text.substring(0, text.length() - 1)) / 100
                    : Double.parseDouble(text);
            if (value < 0 || value > 1) {
                throw new ConfigException(option + " must be between 0 and 1 (or 0% and 100%), was '" + text + "'");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigException(option + ": '" + text + "' is not a number");
        }
    }

    private static double rate(String option, String text) {
        String number = text.endsWith("/s") ? text.substring(0, text.length() - 2) : text;
        try {
            double value = Double.parseDouble(number);
            if (!(value > 0) || value > 1_000_000) {
                throw new ConfigException(option + " must be between 0 and 1000000 per second, was '" + text + "'");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new ConfigException(option + ": '" + text + "' is not a rate (e.g. 200/s)");
        }
    }

    private Options() {
    }

    private static final class Parser {
        private final List<String> args;
        private int next;

        Parser(List<String> args) {
            this.args = args;
        }

        boolean hasNext() {
            return next < args.size();
        }

        String next() {
            String arg = args.get(next++);
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                // --option=value is the same as --option value.
                args.add(next, arg.substring(eq + 1));
                return arg.substring(0, eq);
            }
            return arg;
        }

        String value(String option) {
            if (!hasNext()) {
                throw new ConfigException(option + " needs a value (see --help)");
            }
            return args.get(next++);
        }

        int intValue(String option, int min, int max) {
            return parseInt(option, value(option), min, max);
        }

        int parseInt(String option, String text, int min, int max) {
            try {
                int value = Integer.parseInt(text);
                if (value < min || value > max) {
                    throw new ConfigException(option + " must be between " + min + " and " + max + ", was " + text);
                }
                return value;
            } catch (NumberFormatException e) {
                throw new ConfigException(option + ": '" + text + "' is not a whole number");
            }
        }

        long longValue(String option) {
            String text = value(option);
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new ConfigException(option + ": '" + text + "' is not a whole number");
            }
        }
    }
}
