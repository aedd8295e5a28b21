/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several load generators as one test, against the stub API over loopback: shards started together with
 * {@code --start-at}, then {@code loadtest merge}. The union's counts are the shards' summed (and, in the open model,
 * the unsharded run's to the request), its percentiles those of one histogram holding every shard's raw samples, and
 * a merge refuses directories that are not shards 1..N of one test.
 */
class ShardIT {
    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 100};
    private static final List<String> OPS = List.of("read", "write", "all");

    @Test
    void shardsOfAnOpenModelMergeToExactlyTheUnshardedCounts(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            // 63/s over a 1 s ramp and 3 s: 221 requests, which divide evenly among neither 2 nor 3 shards.
            String[] test = {"--stage", "normal", "--target", stub.url(), "--rate", "63/s", "--ramp", "1s",
                "--duration", "3s", "--read-ratio", "0.5", "--seed", "11", "--no-default-thresholds",
                "--threshold", "all:errors<1%"};
            Runs.Run whole = Runs.run(dir.resolve("whole"), test);
            assertEquals(ExitCode.PASS, whole.exitCode(), whole.output());
            JsonNode wholeStage = whole.summary().path("stages").get(0);
            assertEquals(0, wholeStage.path("dropped_requests").asLong(), "the stub kept up");
            long wholeRequests = wholeStage.path("operations").path("all").path("requests").asLong();
            for (int count : new int[] {2, 3}) {
                long writesBefore = stub.writes();
                List<Runs.Run> shards = Runs.shards(dir.resolve(count + "-shards"), count, test);
                long served = stub.writes() - writesBefore;
                for (Runs.Run shard : shards) {
                    assertEquals(ExitCode.PASS, shard.exitCode(), shard.output());
                }
                Runs.Run merged = Runs.merge(dir.resolve("merged-" + count), dirs(shards));
                assertEquals(ExitCode.PASS, merged.exitCode(), merged.output());
                JsonNode stage = merged.summary().path("stages").get(0);
                assertEquals(wholeRequests, stage.path("operations").path("all").path("requests").asLong(),
                             count + " shards send exactly the unsharded run's requests");
                assertEquals(63.0, stage.path("rate_per_s").asDouble(), 1e-9);
                assertCountsAreTheShardsSummed(shards, merged);
                assertEquals(served, stage.path("operations").path("write").path("by_outcome").path("ok").asLong(),
                             "the writes the stub served");
                assertPercentilesAreOneHistogramOfEverySample(shards, merged);
                assertIntervalLogIsTheUnion(shards, merged);
                Instant startAt = Instant.parse(merged.summary().path("startAt").asText());
                for (Runs.Run shard : shards) {
                    Instant started = Instant.parse(shard.summary().path("stages").get(0).path("started_at").asText());
                    assertTrue(!started.isBefore(startAt) && started.isBefore(startAt.plusSeconds(1)),
                               "shard started at " + started + ", asked for " + startAt);
                }
                System.out.printf(Locale.ROOT, "open model 63/s: unsharded %d requests, %d shards %s, merged %d%n",
                                  wholeRequests, count, shards.stream().map(s -> s.summary().path("stages").get(0)
                                          .path("operations").path("all").path("requests").asText()).toList(),
                                  stage.path("operations").path("all").path("requests").asLong());
            }
        }
    }

    @Test
    void shardsSplitTheUsersExactlyAndMergeToTheirSum(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            long writesBefore = stub.writes();
            List<Runs.Run> shards = Runs.shards(dir, 3, "--stage", "normal", "--target", stub.url(), "--users", "7",
                                                "--ramp", "1s", "--duration", "2s", "--think-time", "5ms-20ms",
                                                "--seed", "3", "--verify", "all", "--threshold", "all:p95<5s");
            long served = stub.writes() - writesBefore;
            List<Integer> users = new ArrayList<>();
            List<Long> seeds = new ArrayList<>();
            for (Runs.Run shard : shards) {
                assertEquals(ExitCode.PASS, shard.exitCode(), shard.output());
                users.add(shard.summary().path("stages").get(0).path("users").asInt());
                seeds.add(shard.summary().path("run").path("seed").asLong());
            }
            assertEquals(List.of(3, 2, 2), users, "floor(7/3), plus one for the first 7 mod 3 shards");
            assertEquals(3L, seeds.getFirst());
            assertEquals(3, seeds.stream().distinct().count(), "every shard has its own seed: " + seeds);
            Runs.Run merged = Runs.merge(dir.resolve("merged"), dirs(shards));
            assertEquals(ExitCode.PASS, merged.exitCode(), merged.output());
            JsonNode stage = merged.summary().path("stages").get(0);
            assertEquals(7, stage.path("users").asInt());
            assertCountsAreTheShardsSummed(shards, merged);
            assertEquals(served, stage.path("operations").path("write").path("requests").asLong());
            assertPercentilesAreOneHistogramOfEverySample(shards, merged);
            assertIntervalLogIsTheUnion(shards, merged);
            JsonNode verification = merged.summary().path("verification");
            assertEquals(served, verification.path("created").asLong(), "every shard's verification is carried");
            assertEquals(served, verification.path("checked").asLong());
            assertTrue(verification.path("passed").asBoolean());
            assertEquals(3, merged.summary().path("shards").size());
            assertTrue(Files.size(merged.out().resolve("report.html")) > 10_000);
        }
    }

    @Test
    void aMergeOfOneShardIsThatShard(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            Runs.Run run = Runs.run(dir.resolve("run"), "--stage", "normal", "--target", stub.url(), "--users", "4",
                                    "--ramp", "1s", "--duration", "2s", "--think-time", "5ms-15ms",
                                    "--threshold", "all:p95<5s");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
            Runs.Run merged = Runs.merge(dir.resolve("merged"), run.out().toString(), "--threshold", "all:p95<5s");
            assertEquals(ExitCode.PASS, merged.exitCode(), merged.output());
            JsonNode a = run.summary().path("stages").get(0);
            JsonNode b = merged.summary().path("stages").get(0);
            for (String field : List.of("operations", "users", "users_from", "steady_state_s", "schedule_lag_ms",
                                        "thresholds", "started_at", "ended_at")) {
                assertEquals(a.path(field), b.path(field), field);
            }
            assertEquals(run.summary().path("series").size(), merged.summary().path("series").size());
            for (int i = 0; i < run.summary().path("series").size(); i++) {
                JsonNode p = run.summary().path("series").get(i);
                JsonNode q = merged.summary().path("series").get(i);
                for (String field : List.of("requests", "errors", "users", "p50_ms", "p99_ms", "start_ms")) {
                    assertEquals(p.path(field), q.path(field), "series " + i + " " + field);
                }
            }
            assertEquals(histograms(run.out()).keySet(), histograms(merged.out()).keySet());
            histograms(run.out()).forEach((tag, h) -> assertEquals(h, histograms(merged.out()).get(tag), tag));
        }
    }

    @Test
    void mergeRefusesWhatIsNotShardsOneToNOfOneTest(@TempDir Path dir) throws Exception {
        try (StubApi stub = new StubApi(1000)) {
            String[] quick = {"--target", stub.url(), "--rate", "20/s", "--duration", "1s", "--no-default-thresholds"};
            Path one = shard(dir, "one", "normal", "1/2", quick);
            Path two = shard(dir, "two", "normal", "2/2", quick);
            Path otherStage = shard(dir, "other-stage", "read-heavy", "2/2", quick);
            Path ofThree = shard(dir, "of-three", "normal", "2/3", quick);
            Path copy = Files.createDirectory(dir.resolve("copy"));
            try (Stream<Path> files = Files.list(two)) {
                for (Path f : files.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            Path out = dir.resolve("merged");
            rejected(out, "different stages", one.toString(), otherStage.toString());
            rejected(out, "2/2 is missing", one.toString());
            rejected(out, "appears twice", one.toString(), two.toString(), copy.toString());
            rejected(out, "different sizes", one.toString(), ofThree.toString());
            rejected(out, "no summary.json", one.toString(), dir.resolve("nowhere").toString());
            rejected(one, "one of the shards' directories", one.toString(), two.toString());
            rejected(out, "unknown stage", one.toString(), two.toString(), "--threshold", "db-stress/all:p95<1s");
            Runs.Run late = Runs.run(dir.resolve("late"), concat(quick, "--stage", "normal", "--shard", "2/2",
                                                                 "--start-at", Instant.now().plusSeconds(1).toString()));
            assertEquals(ExitCode.PASS, late.exitCode(), late.output());
            rejected(out, "did not start together", one.toString(), late.out().toString());
            // The same shards, in any order, merge; the thresholds are judged once, on the union.
            assertEquals(ExitCode.PASS, Runs.merge(out, two.toString(), one.toString()).exitCode());
            Runs.Run strict = Runs.merge(dir.resolve("strict"), one.toString(), two.toString(), "--threshold",
                                         "all:p50<1us");
            assertEquals(ExitCode.FAILED, strict.exitCode(), strict.output());
            assertTrue(strict.output().contains("FAIL all:p50<1us"), strict.output());
            assertEquals("fail", strict.summary().path("verdict").asText());
            // A shard that was interrupted makes the whole test interrupted.
            Path whole = shard(dir, "whole", "normal", "1/2", concat(quick, "--duration", "3s"));
            Runs.Run cut = Runs.interrupted(dir.resolve("cut"), Duration.ofMillis(1500),
                                            concat(quick, "--stage", "normal", "--shard", "2/2", "--duration", "3s"));
            assertEquals(ExitCode.INTERRUPTED, cut.exitCode(), cut.output());
            Runs.Run partial = Runs.merge(dir.resolve("partial"), whole.toString(), cut.out().toString());
            assertEquals(ExitCode.INTERRUPTED, partial.exitCode(), partial.output());
            assertEquals("interrupted", partial.summary().path("verdict").asText());
        }
    }

    @Test
    void onlyShardOneStartsStressAndJudgesFromPrometheus(@TempDir Path dir) throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        try (StubApi stub = new StubApi(1000)) {
            for (String shard : List.of("2/2", "1/2")) {
                Path marker = dir.resolve("stress-" + shard.charAt(0));
                Runs.Run run = Runs.run(dir.resolve("stress-run-" + shard.charAt(0)), "--stage", "db-stress",
                                        "--target", stub.url(), "--users", "2", "--ramp", "0", "--duration", "1s",
                                        "--think-time", "10ms", "--shard", shard,
                                        "--stress-command", "touch " + marker + "; exec sleep {seconds}");
                assertEquals(ExitCode.PASS, run.exitCode(), run.output());
                assertEquals(shard.equals("1/2"), Files.exists(marker), "stress started by shard " + shard);
            }
            String[] judged = {"--stage", "normal", "--target", stub.url(), "--users", "2", "--ramp", "0",
                "--duration", "1s", "--think-time", "10ms", "--prometheus", "http://127.0.0.1:" + closed};
            Runs.Run second = Runs.run(dir.resolve("prom-2"), concat(judged, "--shard", "2/2"));
            assertEquals(ExitCode.PASS, second.exitCode(), "shard 2 ignores --prometheus: " + second.output());
            assertTrue(second.output().contains("--prometheus is ignored here"), second.output());
            assertFalse(second.summary().has("monitoring"));
            Runs.Run first = Runs.run(dir.resolve("prom-1"), concat(judged, "--shard", "1/2"));
            assertEquals(ExitCode.UNREACHABLE, first.exitCode(), "shard 1 asks Prometheus: " + first.output());
        }
    }

    private static Path shard(Path dir, String name, String stage, String shard, String... args) {
        Runs.Run run = Runs.run(dir.resolve(name), concat(args, "--stage", stage, "--shard", shard));
        assertEquals(ExitCode.PASS, run.exitCode(), run.output());
        return run.out();
    }

    private static void rejected(Path out, String problem, String... args) {
        boolean existed = Files.exists(out);
        Runs.Run merge = Runs.merge(out, args);
        assertEquals(ExitCode.CONFIG_ERROR, merge.exitCode(), merge.output());
        assertTrue(merge.output().contains(problem), "expected '" + problem + "' in: " + merge.output());
        assertEquals(existed, Files.exists(out), "a refused merge writes nothing");
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static String[] dirs(List<Runs.Run> runs) {
        return runs.stream().map(r -> r.out().toString()).toArray(String[]::new);
    }

    /** Every operation's requests, by outcome and in the steady state, are the sum of the shards'. */
    private static void assertCountsAreTheShardsSummed(List<Runs.Run> shards, Runs.Run merged) {
        JsonNode ops = merged.summary().path("stages").get(0).path("operations");
        for (String op : OPS) {
            JsonNode m = ops.path(op);
            for (String path : List.of("requests", "errors", "shed", "steady_state/requests",
                                       "steady_state/samples")) {
                assertEquals(sum(shards, op, path), at(m, path).asLong(), op + " " + path);
            }
            for (Iterator<String> it = m.path("by_outcome").fieldNames(); it.hasNext(); ) {
                String outcome = it.next();
                assertEquals(sum(shards, op, "by_outcome/" + outcome), m.path("by_outcome").path(outcome).asLong(),
                             op + " " + outcome);
            }
        }
        assertTrue(ops.path("all").path("requests").asLong() > 100, "too few requests to mean anything");
    }

    private static long sum(List<Runs.Run> shards, String op, String path) {
        return shards.stream().mapToLong(s -> at(s.summary().path("stages").get(0).path("operations").path(op), path)
                .asLong()).sum();
    }

    private static JsonNode at(JsonNode n, String path) {
        for (String part : path.split("/")) {
            n = n.path(part);
        }
        return n;
    }

    /**
     * The merged summary's steady-state percentiles are those of one histogram built here from every shard's raw
     * interval log, within HdrHistogram's precision (values in one bucket are equivalent).
     */
    private static void assertPercentilesAreOneHistogramOfEverySample(List<Runs.Run> shards, Runs.Run merged) {
        for (String kind : List.of("corrected", "observed")) {
            Histogram all = new Histogram(3);
            for (Runs.Run shard : shards) {
                Map<String, Histogram> logged = histograms(shard.out());
                all.add(logged.get("normal.steady.read." + kind));
                all.add(logged.get("normal.steady.write." + kind));
            }
            JsonNode latency = merged.summary().path("stages").get(0).path("operations").path("all")
                    .path("steady_state").path("latency_ms").path(kind);
            StringBuilder figures = new StringBuilder();
            for (double p : PERCENTILES) {
                long micros = all.getValueAtPercentile(p);
                double expected = micros / 1000.0;
                double actual = p == 100 ? latency.path("max").asDouble()
                        : latency.path(p == Math.rint(p) ? "p" + (long) p : "p" + p).asDouble();
                double precision = all.sizeOfEquivalentValueRange(micros) / 1000.0;
                assertEquals(expected, actual, precision, kind + " p" + p);
                figures.append(String.format(Locale.ROOT, " p%s %.3f/%.3f", p == 100 ? "max" : p, actual, expected));
            }
            assertNotEquals(0, all.getTotalCount());
            System.out.println(shards.size() + " shards, " + kind + " ms merged/one histogram of every sample ("
                                       + all.getTotalCount() + " samples):" + figures);
        }
    }

    /** The merged interval log holds every shard's requests: per tag, the histograms' counts add up. */
    private static void assertIntervalLogIsTheUnion(List<Runs.Run> shards, Runs.Run merged) {
        Map<String, Long> shardCounts = new HashMap<>();
        for (Runs.Run shard : shards) {
            totals(shard.out()).forEach((tag, n) -> shardCounts.merge(tag, n, Long::sum));
        }
        Map<String, Long> mergedCounts = totals(merged.out());
        assertEquals(shardCounts, mergedCounts);
        long requests = merged.summary().path("stages").get(0).path("operations").path("all").path("requests")
                .asLong();
        assertEquals(requests, mergedCounts.get("normal.read.observed") + mergedCounts.get("normal.write.observed"),
                     "every request is in one interval");
    }

    /** Per tag, the total count of every histogram in a log. */
    private static Map<String, Long> totals(Path dir) {
        Map<String, Long> totals = new HashMap<>();
        read(dir, h -> totals.merge(h.getTag(), h.getTotalCount(), Long::sum));
        return totals;
    }

    /** Per tag, every histogram of a log added into one. */
    private static Map<String, Histogram> histograms(Path dir) {
        Map<String, Histogram> byTag = new HashMap<>();
        read(dir, h -> byTag.computeIfAbsent(h.getTag(), t -> new Histogram(3)).add(h));
        return byTag;
    }

    private static void read(Path dir, Consumer<Histogram> each) {
        try (HistogramLogReader reader = new HistogramLogReader(dir.resolve("latency.hlog").toFile())) {
            EncodableHistogram e;
            while ((e = reader.nextIntervalHistogram()) != null) {
                each.accept((Histogram) e);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
