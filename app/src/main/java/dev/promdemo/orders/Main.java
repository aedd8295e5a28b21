/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.promdemo.orders.http.OrderRequests;
import dev.promdemo.orders.http.OrderService;
import dev.promdemo.orders.http.ProblemResponses;
import dev.promdemo.orders.metrics.HttpMetrics;
import dev.promdemo.orders.metrics.ProcessMetrics;
import dev.promdemo.orders.metrics.QueryMetrics;
import dev.promdemo.orders.order.OrderStore;
import dev.promdemo.orders.store.ConnectionPool;
import dev.promdemo.orders.store.DatabaseHealthCheck;
import dev.promdemo.orders.store.Migrations;
import dev.promdemo.orders.store.OrderRepository;

import io.helidon.config.Config;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.http.DirectHandler.EventType;
import io.helidon.logging.common.LogConfig;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.openapi.OpenApiFeature;
import io.helidon.service.registry.Services;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.health.HealthObserver;
import io.helidon.webserver.observe.metrics.MetricsObserver;

/**
 * Starts the order API ({@code serve}, the default), applies the schema migrations ({@code migrate [--seed]}), or
 * makes a training run for the JDK's AOT cache ({@code train}).
 *
 * <p>It only wires: configuration into the pools, the DbClients and the repository ({@code store}), the repository
 * into the HTTP service ({@code http}), the meters ({@code metrics}) into both, and the lot into the web server.
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar order-api.jar [serve]          serve the API (:5000) and metrics/health (:8000)
                   java -jar order-api.jar migrate [--seed] apply the schema (and with --seed the demo data), exit
                   java -XX:AOTCacheOutput=F -jar order-api.jar train [SECONDS]
                                                    a training run for the JDK's AOT cache F (default 5 s), exit
            Settings come from application.yaml and environment variables; see app/README.md.""";
    private static final long DEFAULT_MAX_PAYLOAD = 1_048_576;

    private Main() {
    }

    /**
     * Runs the command named by the first argument.
     *
     * @param args {@code serve}, {@code migrate [--seed]} or {@code train [seconds]}
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
            // The seed's precondition loads it only into a database without orders, and once.
            System.out.println("order-api: schema up to date"
                               + (seed ? " (demo data in place: seeded once, into a database without orders)" : ""));
        }
        case "train" -> Training.run(Duration.ofSeconds(arguments.size() > 1 ? Long.parseLong(arguments.get(1)) : 5));
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
        // The pools first: they open their connections in the background (a TLS handshake each), so the first one
        // overlaps the rest of start-up.
        ConnectionPool pool = ConnectionPool.create(db);
        ConnectionPool writePool = ConnectionPool.createForWrites(db);
        // Then the metrics observer: it sets up the registry that the meters below and DbClient register in.
        MetricsObserver metricsObserver = MetricsObserver.create(
                config.get("server.features.observe.observers.metrics"));
        MeterRegistry registry = Services.get(MeterRegistry.class);
        ProcessMetrics.register(registry);
        pool.registerMetrics(registry);
        writePool.registerMetrics(registry);
        QueryMetrics queryMetrics = new QueryMetrics(registry, List.of(OrderRepository.SELECT_ORDER,
                                                                       OrderRepository.INSERT_ORDER,
                                                                       OrderRepository.INSERT_ORDER_ITEMS));
        DbClient reads = dbClient(pool, queryMetrics);
        DbClient writes = dbClient(writePool, queryMetrics);
        HealthObserver health = HealthObserver.builder()
                .config(config.get("server.features.observe.observers.health"))
                .useSystemServices(false)
                .details(true)
                .addCheck(new DatabaseHealthCheck(
                        pool, db.get("health-timeout").as(Duration.class).orElse(Duration.ofSeconds(1))))
                .build();
        ObserveFeature observe = ObserveFeature.builder()
                .config(config.get("server.features.observe"))
                .observersDiscoverServices(false)
                .addObserver(metricsObserver)
                .addObserver(health)
                .build();

        OrderRequests.Limits limits = limits(config.get("api"));
        HttpMetrics httpMetrics = new HttpMetrics(registry);
        OrderStore store = new OrderRepository(reads, writes);
        ProblemResponses problems = problems(config);

        WebServer server = server(config, problems)
                .addFeature(observe)
                .addFeature(OpenApiFeature.create(config.get("server.features.openapi")))
                .routing(routing -> routing(routing, store, limits, httpMetrics, problems))
                .build()
                .start();
        return new Application(server, List.of(reads, writes), pool, writePool);
    }

    /**
     * The web server as configured ({@code server.*}: sockets, limits, the concurrency limit), without features or
     * routes. Tests build on it too.
     *
     * @param config the root configuration
     * @param problems turns what the server refuses into problem responses
     * @return the server's builder
     */
    static WebServerConfig.Builder server(Config config, ProblemResponses problems) {
        return WebServer.builder()
                .config(config.get("server"))
                .featuresDiscoverServices(false)
                // What the server refuses before routing (above all the concurrency limit's 503) gets a problem body.
                .directHandlers(DirectHandlers.builder()
                                        .addHandler(EventType.OTHER, problems)
                                        .addHandler(EventType.BAD_REQUEST, problems)
                                        .addHandler(EventType.PAYLOAD_TOO_LARGE, problems)
                                        .addHandler(EventType.INTERNAL_ERROR, problems)
                                        .build());
    }

    static ProblemResponses problems(Config config) {
        return new ProblemResponses(config.get("server.max-payload-size").asLong().orElse(DEFAULT_MAX_PAYLOAD));
    }

    /**
     * Wires the API routes. Tests call this with a store of their own.
     *
     * @param routing the routing of the API socket
     * @param store where orders are kept
     * @param limits the input limits
     * @param metrics the request metrics
     * @param problems turns failures into problem responses
     */
    static void routing(HttpRouting.Builder routing, OrderStore store, OrderRequests.Limits limits,
                        HttpMetrics metrics, ProblemResponses problems) {
        routing.addFilter(metrics)
                .error(RuntimeException.class, problems)
                .register("/api", new OrderService(store, limits, metrics))
                .any(ProblemResponses::noRoute);
    }

    static OrderRequests.Limits limits(Config api) {
        return new OrderRequests.Limits(
                api.get("max-body-bytes").asInt().orElse(16384),
                api.get("max-items").asInt().orElse(50),
                api.get("max-quantity").asInt().orElse(1000),
                api.get("max-unit-price").as(BigDecimal.class).orElse(new BigDecimal("1000000.00")));
    }

    private static DbClient dbClient(ConnectionPool pool, QueryMetrics queryMetrics) {
        return JdbcClientBuilder.create()
                .connectionPool(pool)
                .statements(OrderRepository.statements())
                .addService(queryMetrics)
                .build();
    }

    /**
     * The running API and what it must close when it stops.
     *
     * @param server the web server
     * @param dbClients the database clients
     * @param pool the read pool
     * @param writePool the write pool
     */
    public record Application(WebServer server, List<DbClient> dbClients, ConnectionPool pool,
                              ConnectionPool writePool) {
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
         * Stops serving, then closes the database clients and both pools.
         */
        public void stop() {
            server.stop();
            dbClients.forEach(DbClient::close);
            pool.close();
            writePool.close();
        }
    }
}
