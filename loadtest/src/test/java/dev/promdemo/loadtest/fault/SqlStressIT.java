/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.Stream;

import dev.promdemo.db.EmbeddedDatabase;
import dev.promdemo.loadtest.plan.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SQL stress on a real (embedded) MySQL-protocol server: it runs its statements on as many connections as asked,
 * with an account that may read nothing, and leaves none running once stopped.
 */
class SqlStressIT {
    private static final String USER = "stress";
    private static final String PASSWORD = "stress-local";
    private static Path dataDir;
    private static EmbeddedDatabase db;
    private static String url;

    @BeforeAll
    static void start() throws IOException {
        // A private data (and base) directory: the default base under /tmp is shared with other builds.
        dataDir = Files.createTempDirectory(Path.of("target"), "stress-db").toAbsolutePath();
        EmbeddedDatabase.Options defaults = EmbeddedDatabase.Options.forTests();
        db = EmbeddedDatabase.start(new EmbeddedDatabase.Options(
                defaults.host(), defaults.port(), dataDir.resolve("data"), defaults.database(), defaults.appUser(),
                defaults.appPassword(), defaults.exporterUser(), defaults.exporterPassword(), List.of()));
        // No privilege at all: BENCHMARK() reads nothing.
        db.runAsAdmin("CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'");
        url = "jdbc:mysql://" + db.options().host() + ":" + db.options().port() + "/";
    }

    @AfterAll
    static void stop() throws IOException {
        if (db != null) {
            db.close();
        }
        if (dataDir != null) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static DbStress.Settings settings(String password, int connections) {
        return DbStress.Settings.resolve("sql", null, null, connections,
                                         new DbStress.Environment(null, "", null, null, null, null, url, USER,
                                                                  password));
    }

    /** How many of the stress account's sessions other than this one are running a statement. */
    private static int running(Connection observer) throws SQLException {
        try (Statement s = observer.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '"
                                                   + USER + "' AND ID <> CONNECTION_ID() AND INFO LIKE "
                                                   + "'SELECT BENCHMARK%'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int await(Connection observer, IntPredicate done) throws Exception {
        Instant until = Instant.now().plusSeconds(10);
        int count = running(observer);
        while (!done.test(count) && Instant.now().isBefore(until)) {
            Thread.sleep(50);
            count = running(observer);
        }
        return count;
    }

    @Test
    void runsOneStatementPerConnectionUntilStopped() throws Exception {
        try (Connection observer = DriverManager.getConnection(url, USER, PASSWORD)) {
            DbStress stress = DbStress.start(settings(PASSWORD, 3), Duration.ofSeconds(60));
            try {
                assertTrue(stress.launched(), stress.problem());
                assertTrue(stress.command().startsWith("3 connections running SELECT BENCHMARK("), stress.command());
                assertEquals(3, await(observer, n -> n == 3), "statements running during the stress");
                Thread.sleep(1500);
                assertEquals(3, await(observer, n -> n == 3), "still running after the first statements ended");
            } finally {
                stress.stop(true);
            }
            // stop() has cancelled and closed them: nothing may keep burning the database's CPU.
            assertEquals(0, await(observer, n -> n == 0), "statements left running after stop()");
        }
    }

    @Test
    void aStressThatCannotLogInDidNotStart() {
        DbStress stress = DbStress.start(settings("wrong", 2), Duration.ofSeconds(60));
        assertFalse(stress.launched());
        assertTrue(stress.problem().startsWith("cannot connect to " + url + " as " + USER + ": "), stress.problem());
        assertTrue(stress.problem().contains("Access denied"), stress.problem());
        stress.stop(true);
    }

    @Test
    void sqlStressNeedsADatabase() {
        ConfigException e = assertThrows(ConfigException.class, () -> DbStress.Settings.resolve(
                "sql", null, null, new DbStress.Environment(null, "", null, null, null)));
        assertTrue(e.getMessage().contains("DB_STRESS_URL"), e.getMessage());
        DbStress.Settings auto = DbStress.Settings.resolve(
                "auto", null, null, new DbStress.Environment(null, "", null, null, null, "db.example", null, null,
                                                             null));
        assertEquals("sql", auto.mode());
        assertEquals("jdbc:mysql://db.example:3306/", auto.sql().url());
        assertEquals("stress", auto.sql().user());
        assertEquals(DbStress.Settings.DEFAULT_SQL_CONNECTIONS, auto.sql().connections());
    }
}
