/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.db;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A kept data directory keeps its rows across a stop and start, and across a server killed with SIGKILL, and the
 * server's ECDSA certificate across servers.
 */
class EmbeddedDatabaseIT {
    // Outside java.io.tmpdir on purpose: start() refuses a kept data directory there (see below).
    @TempDir(factory = ProjectTempDir.class)
    Path state;

    @Test
    void committedRowsSurviveAStopAndAKilledServer() throws Exception {
        EmbeddedDatabase.Options options = options(state.resolve("db"));
        try (EmbeddedDatabase db = EmbeddedDatabase.start(options)) {
            execute(db, "CREATE TABLE t (x INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)");

            db.stop();
            db.restart();
            assertEquals(3, count(db));

            execute(db, "INSERT INTO t VALUES (4)");
            long pid = Long.parseLong(Files.readString(EmbeddedDatabase.serverPidFile(options.dataDir())).strip());
            ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
            assertTrue(server.destroyForcibly(), "SIGKILL sent");
            server.onExit().get();
            assertFalse(db.serverAlive());
            assertTrue(db.restartIfDied(), "a killed server is started again");
            assertTrue(db.serverAlive());
            assertEquals(4, count(db), "InnoDB recovered every committed row");
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(options)) {
            assertEquals(4, count(db), "a new server on the same data directory sees the rows");
        }
    }

    @Test
    void aKeptDataDirectoryServesTlsWithItsOwnEcdsaCertificate() throws Exception {
        EmbeddedDatabase.Options options = options(state.resolve("db"));
        Path certificate = EmbeddedDatabase.tlsDir(options.dataDir()).resolve("server-cert.pem");
        Path key = EmbeddedDatabase.tlsDir(options.dataDir()).resolve("server-key.pem");
        byte[] first;
        try (EmbeddedDatabase db = EmbeddedDatabase.start(options)) {
            assertEquals(List.of(certificate.toString(), "TLS"), tls(db));
            first = Files.readAllBytes(certificate);
        }
        X509Certificate x509;
        try (InputStream in = Files.newInputStream(certificate)) {
            x509 = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        ECPublicKey publicKey = assertInstanceOf(ECPublicKey.class, x509.getPublicKey());
        assertEquals(256, publicKey.getParams().getOrder().bitLength(), "P-256");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        try (EmbeddedDatabase db = EmbeddedDatabase.start(options)) {
            assertEquals(List.of(certificate.toString(), "TLS"), tls(db));
            assertArrayEquals(first, Files.readAllBytes(certificate), "the kept certificate, not a new one");
        }
    }

    @Test
    void aKeptDataDirectoryUnderTheTempDirIsRefused() {
        Path underTmp = Path.of(System.getProperty("java.io.tmpdir"), "embedded-db-it", "db");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                                  () -> EmbeddedDatabase.start(options(underTmp)));
        assertTrue(e.getMessage().contains("java.io.tmpdir"), e.getMessage());
        assertFalse(Files.exists(underTmp), "nothing was created");
    }

    private static EmbeddedDatabase.Options options(Path dataDir) {
        return new EmbeddedDatabase.Options("127.0.0.1", EmbeddedDatabase.freePort("127.0.0.1"), dataDir, "orders",
                                            "orders", "orders-it", "exporter", "exporter-it", List.of());
    }

    private static void execute(EmbeddedDatabase db, String... statements) throws SQLException {
        try (Connection c = connect(db); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        }
    }

    private static long count(EmbeddedDatabase db) throws SQLException {
        try (Connection c = connect(db); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The server's certificate file, and "TLS" when a connection that requires TLS got a cipher. */
    private static List<String> tls(EmbeddedDatabase db) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl() + "?sslMode=REQUIRED", "orders", "orders-it");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@ssl_cert, (SELECT VARIABLE_VALUE FROM information_schema"
                                           + ".SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER')")) {
            rs.next();
            String cipher = rs.getString(2);
            return List.of(String.valueOf(rs.getString(1)), cipher != null && !cipher.isEmpty() ? "TLS" : "no TLS");
        }
    }

    /** Connects as the application user, retrying while a restarted server finishes its recovery. */
    private static Connection connect(EmbeddedDatabase db) throws SQLException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            try {
                return DriverManager.getConnection(db.jdbcUrl() + "?sslMode=DISABLED", "orders", "orders-it");
            } catch (SQLException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Temporary directories in the module's target folder, not under java.io.tmpdir. */
    static final class ProjectTempDir implements org.junit.jupiter.api.io.TempDirFactory {
        @Override
        public Path createTempDirectory(org.junit.jupiter.api.extension.AnnotatedElementContext element,
                                        org.junit.jupiter.api.extension.ExtensionContext context)
                throws java.io.IOException {
            Path target = Files.createDirectories(Path.of("target", "it-data")).toAbsolutePath();
            return Files.createTempDirectory(target, "embedded-db-");
        }
    }
}
