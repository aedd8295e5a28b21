/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.promdemo.db.EmbeddedDatabase;
import dev.promdemo.orders.store.Migrations;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * A real database and the real API on ephemeral loopback ports, for the integration tests.
 *
 * <p>By default the database is an embedded MariaDB the stack starts and stops itself. Set
 * {@code ORDER_API_TEST_DB_URL} (with {@code ORDER_API_TEST_DB_USER} and {@code ORDER_API_TEST_DB_PASSWORD}) to run
 * the same tests against an external server such as MySQL 8; tests that must stop the database then do not run.
 */
final class TestStack implements AutoCloseable {
    static final String EXTERNAL_URL = System.getenv("ORDER_API_TEST_DB_URL");

    private final EmbeddedDatabase database;
    private final String url;
    private final String user;
    private final String password;
    private final Map<String, String> overrides;
    private Main.Application app;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private TestStack(EmbeddedDatabase database, String url, String user, String password,
                      Map<String, String> overrides) {
        this.database = database;
        this.url = url;
        this.user = user;
        this.password = password;
        this.overrides = overrides;
    }

    /**
     * Starts the database (unless an external one is named), applies the schema and demo data, starts the API.
     *
     * @param overrides configuration keys to set, on top of application.yaml
     * @return the running stack
     * @throws Exception if anything fails to start
     */
    static TestStack start(Map<String, String> overrides) throws Exception {
        return start(overrides, true);
    }

    /**
     * Starts the database (unless an external one is named), applies the schema (and with {@code seed} the demo
     * data), starts the API.
     *
     * @param overrides configuration keys to set, on top of application.yaml
     * @param seed whether to load the demo data
     * @return the running stack
     * @throws Exception if anything fails to start
     */
    static TestStack start(Map<String, String> overrides, boolean seed) throws Exception {
        TestStack stack;
        if (EXTERNAL_URL != null && !EXTERNAL_URL.isBlank()) {
            stack = new TestStack(null, EXTERNAL_URL, System.getenv("ORDER_API_TEST_DB_USER"),
                                  System.getenv("ORDER_API_TEST_DB_PASSWORD"), overrides);
        } else {
            EmbeddedDatabase db = EmbeddedDatabase.start(EmbeddedDatabase.Options.forTests());
            stack = new TestStack(db, db.jdbcUrl(), db.options().appUser(), db.options().appPassword(), overrides);
        }
        Migrations.migrate(stack.config().get("db"), seed);
        stack.app = Main.start(stack.config());
        return stack;
    }

    static boolean externalDatabase() {
        return EXTERNAL_URL != null && !EXTERNAL_URL.isBlank();
    }

    Config config() {
        Map<String, String> values = new HashMap<>();
        values.put("db.url", url);
        values.put("db.user", user);
        values.put("db.password", password == null ? "" : password);
        values.put("server.host", "127.0.0.1");
        values.put("server.port", "0");
        values.put("server.sockets.0.name", "admin");
        values.put("server.sockets.0.host", "127.0.0.1");
        values.put("server.sockets.0.port", "0");
        values.putAll(overrides);
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(values))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
    }

    EmbeddedDatabase database() {
        return database;
    }

    URI api(String path) {
        return URI.create("http://127.0.0.1:" + app.apiPort() + path);
    }

    URI admin(String path) {
        return URI.create("http://127.0.0.1:" + app.adminPort() + path);
    }

    HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                           HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String contentType, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(api(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String body) throws IOException, InterruptedException {
        return post("/api/order", "application/json", body);
    }

    /**
     * Opens a JDBC connection to the test database, to check rows directly.
     *
     * @return the connection
     * @throws SQLException if it cannot connect
     */
    Connection jdbc() throws SQLException {
        // HikariCP sets the JVM-wide DriverManager login timeout to the pool's (short) connection timeout, and the
        // driver applies it to the whole login; the tests' own checks must not inherit it on a loaded machine.
        DriverManager.setLoginTimeout(30);
        return DriverManager.getConnection(url, user, password);
    }

    long count(String sql) throws SQLException {
        try (Connection c = jdbc(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    void execute(String sql) throws SQLException {
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        if (database != null) {
            database.close();
        }
    }
}
