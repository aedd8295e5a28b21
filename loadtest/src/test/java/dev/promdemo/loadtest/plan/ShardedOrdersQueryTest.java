/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The query a sharded test's shard 1 compares the API's orders with sums every load generator's acknowledged writes
 * of the stage and nothing else, evaluated by Prometheus's own engine ({@code promtool test rules}) on series shaped
 * as the generator exports them: each created at 0 when the stage starts.
 */
class ShardedOrdersQueryTest {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    @Test
    void acknowledgedOrdersAreSummedOverEveryLoadGeneratorOfTheStage(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "promtool is not installed (Debian's prometheus package)");
        Files.writeString(dir.resolve("none.rules.yml"), "groups: []\n");
        String acked = Stages.ORDERS_ACKNOWLEDGED.replace(Stages.STAGE, "normal")
                .replace(PromThreshold.WINDOW, "240s");
        String generators = Stages.LOAD_GENERATORS.replace(Stages.STAGE, "normal");
        // Two generators start the stage at 375 s, at 0; by 600 s one acknowledged 150 writes, the other 300. Their
        // other outcomes, operations and stages, and another job's series of the same name, must not count.
        String test = """
                rule_files: [none.rules.yml]
                evaluation_interval: 15s
                tests:
                  - interval: 15s
                    input_series:
                      - series: 'loadtest_requests_total{job="loadgen",instance="10.0.3.10:9464",stage="normal",operation="write",outcome="ok"}'
                        values: '_x25 0+10x15'
                      - series: 'loadtest_requests_total{job="loadgen",instance="10.0.3.11:9464",stage="normal",operation="write",outcome="ok"}'
                        values: '_x25 0+20x15'
                      - series: 'loadtest_requests_total{job="loadgen",instance="10.0.3.10:9464",stage="normal",operation="write",outcome="shed"}'
                        values: '_x25 0+100x15'
                      - series: 'loadtest_requests_total{job="loadgen",instance="10.0.3.11:9464",stage="normal",operation="read",outcome="ok"}'
                        values: '_x25 0+100x15'
                      - series: 'loadtest_requests_total{job="loadgen",instance="10.0.3.12:9464",stage="stabilise",operation="write",outcome="ok"}'
                        values: '0+100x40'
                      - series: 'loadtest_requests_total{job="other",instance="10.0.9.9:9464",stage="normal",operation="write",outcome="ok"}'
                        values: '_x25 0+100x15'
                    promql_expr_test:
                      - expr: 'ACKED'
                        eval_time: 600s
                        exp_samples:
                          - labels: '{}'
                            value: 450
                      - expr: 'GENERATORS'
                        eval_time: 600s
                        exp_samples:
                          - labels: '{}'
                            value: 2
                """.replace("ACKED", acked.replace("'", "''")).replace("GENERATORS", generators.replace("'", "''"));
        Path file = dir.resolve("orders.test.yml");
        Files.writeString(file, test);
        Process promtool = new ProcessBuilder(PROMTOOL.toString(), "test", "rules", file.getFileName().toString())
                .directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(promtool.getInputStream().readAllBytes());
        assertTrue(promtool.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        System.out.println(acked + "\n" + generators + "\n" + output);
        assertEquals(0, promtool.exitValue(), output);
    }
}
