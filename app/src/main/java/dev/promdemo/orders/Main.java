/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import io.helidon.config.Config;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.health.DbClientHealthCheck;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.health.HealthCheckType;
import io.helidon.logging.common.LogConfig;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * Starts the order API ({@code serve}, the default) or applies the schema migrations ({@code migrate [--seed]}).
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar order-api.jar [serve]          serve the API (:5000) and metrics/health (:8000)
                   java -jar order-api.jar migrate [--seed] apply the schema (and with --seed the demo data), exit
            Settings come from application.yaml and environment variables; see app/README.md.""";

    private Main() {
    }

    /**
     * Runs the command named by the first argument.
     *
     * @param args {@code serve}, or {@code migrate [--seed]}
     * @throws Exception if migrating fails
     */
    public static void main(String[] args) throws Exception {
        LogConfig.configureRuntime();
        List<String> arguments = Arrays.asList(args);
        String command = arguments.isEmpty() ? "serve" : arguments.getFirst();
        Config config = Config.create();
        switch (command) {
        case "serve" -> {
            Application app = start(config);
            Runtime.getRuntime().addShutdownHook(new Thread(app::stop, "order-api-stop"));
        }
        case "migrate" -> {
            boolean seed = arguments.contains("--seed");
            Migrations.migrate(config.get("db"), seed);
            System.out.println("order-api: schema up to date" + (seed ? " (demo data loaded)" : ""));
        }
        case "--help", "-h", "help" -> System.out.println(USAGE);
        default -> {
            System.err.println("order-api: unknown command '" + command + "'\n" + USAGE);
            System.exit(2);
        }
        }
    }

    /**
     * Builds every piece from configuration and starts the server.
     *
     * @param config the root configuration
     * @return the running application
     */
    public static Application start(Config config) {
        Config db = config.get("db");
        MetricsObserver metricsObserver = MetricsObserver.create(
                config.get("server.features.observe.observers.metrics"));
        MeterRegistry registry = Metrics.globalRegistry();
        ProcessMetrics.register(registry);

        ConnectionPool pool = ConnectionPool.create(db);
        pool.registerMetrics(registry);
        ConnectionPool writePool = ConnectionPool.createForWrites(db);
        writePool.registerMetrics(registry);
        DbClient dbClient = JdbcClientBuilder.create().connectionPool(pool).build();
        HealthObserver health = HealthObserver.builder()
                .config(config.get("server.features.observe.observers.health"))
                .useSystemServices(false)
                .details(true)
                .addCheck(DbClientHealthCheck.builder(dbClient)
                                  .name("database")
                                  .query()
                                  .statement("SELECT 1")
                                  .timeout(db.get("health-timeout").as(Duration.class).orElse(Duration.ofSeconds(1)))
                                  .build(),
                          HealthCheckType.READINESS)
                .build();
        ObserveFeature observe = ObserveFeature.builder()
                .config(config.get("server.features.observe"))
                .observersDiscoverServices(false)
                .addObserver(metricsObserver)
                .addObserver(health)
                .build();

        Config api = config.get("api");
        OrderRequests.Limits limits = new OrderRequests.Limits(
                api.get("max-body-bytes").asInt().orElse(16384),
                api.get("max-items").asInt().orElse(50),
                api.get("max-quantity").asInt().orElse(1000),
                api.get("max-unit-price").as(BigDecimal.class).orElse(new BigDecimal("1000000.00")));
        HttpMetrics httpMetrics = new HttpMetrics(registry);
        OrderService orders = new OrderService(new OrderRepository(pool, writePool, registry), limits, httpMetrics);

        WebServer server = WebServer.builder()
                .config(config.get("server"))
                .featuresDiscoverServices(false)
                .addFeature(observe)
                .routing(routing -> routing(routing, orders, httpMetrics))
                .build()
                .start();
        return new Application(server, dbClient, pool, writePool);
    }

    /**
     * Wires the API routes.
     *
     * @param routing the routing of the API socket
     * @param orders the order service
     * @param metrics the request metrics filter
     */
    static void routing(HttpRouting.Builder routing, OrderService orders, HttpMetrics metrics) {
        routing.addFilter(metrics).register("/api", orders);
    }

    /**
     * The running API and what it must close when it stops.
     *
     * @param server the web server
     * @param dbClient the database client
     * @param pool its read pool
     * @param writePool its write pool
     */
    public record Application(WebServer server, DbClient dbClient, ConnectionPool pool, ConnectionPool writePool) {
        /**
         * The port of the API socket.
         *
         * @return the port
         */
        public int apiPort() {
            return server.port();
        }

        /**
         * The port of the admin socket (metrics and health).
         *
         * @return the port
         */
        public int adminPort() {
            return server.port("admin");
        }

        /**
         * Stops serving, then closes the database client and both pools.
         */
        public void stop() {
            server.stop();
            dbClient.close();
            pool.close();
            writePool.close();
        }
    }
}
