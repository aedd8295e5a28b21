/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The server's TLS key and self-signed certificate: ECDSA on P-256, made once with the JDK's {@code keytool} and
 * kept as PEM files beside the data directory.
 *
 * <p>Without them MariaDB makes its own certificate with an RSA-4096 key. Every client connection then verifies an
 * RSA-4096 signature, and the order API opens its pools' 24 connections while it starts, in a JVM whose crypto code
 * is not compiled yet: measured, the API was ready about 200 ms later than with this key
 * (docs/benchmarks.md, "Start-up").
 */
final class ServerCertificate {
    private static final System.Logger LOGGER = System.getLogger(ServerCertificate.class.getName());
    private static final String ALIAS = "server";
    private static final char[] STORE_PASSWORD = "prometheus-demo".toCharArray();

    private final Path certificate;
    private final Path key;

    private ServerCertificate(Path directory) {
        this.certificate = directory.resolve("server-cert.pem");
        this.key = directory.resolve("server-key.pem");
    }

    /**
     * Returns the certificate kept in the directory, making it first if it is missing.
     *
     * @param directory where the PEM files are kept
     * @return the certificate, or empty (MariaDB then makes its own) when this JDK has no keytool or it fails
     */
    static Optional<ServerCertificate> keptIn(Path directory) {
        ServerCertificate kept = new ServerCertificate(directory);
        if (Files.isRegularFile(kept.certificate) && Files.isRegularFile(kept.key)) {
            return Optional.of(kept);
        }
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        if (!Files.isExecutable(keytool)) {
            LOGGER.log(System.Logger.Level.WARNING, "no keytool in " + keytool.getParent()
                                                    + ": MariaDB makes its own RSA-4096 certificate");
            return Optional.empty();
        }
        try {
            kept.make(keytool, directory);
            return Optional.of(kept);
        } catch (IOException | GeneralSecurityException e) {
            LOGGER.log(System.Logger.Level.WARNING, "could not make the server certificate (" + e.getMessage()
                                                    + "): MariaDB makes its own RSA-4096 certificate");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making the server certificate", e);
        }
    }

    /**
     * The server options that use this certificate.
     *
     * @return {@code --ssl-cert} and {@code --ssl-key}
     */
    List<String> serverArgs() {
        return List.of("--ssl-cert=" + certificate, "--ssl-key=" + key);
    }

    Path certificate() {
        return certificate;
    }

    private void make(Path keytool, Path directory) throws IOException, GeneralSecurityException,
                                                            InterruptedException {
        Files.createDirectories(directory);
        Path store = Files.createTempFile(directory, "server", ".p12");
        try {
            Files.delete(store);
            Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-keyalg", "EC",
                                                 "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                                                 "-alias", ALIAS, "-dname", "CN=prometheus-demo embedded MariaDB",
                                                 "-validity", "3650", "-storetype", "PKCS12",
                                                 "-keystore", store.toString(),
                                                 "-storepass", new String(STORE_PASSWORD))
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool failed: " + output);
            }
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keyStore.load(in, STORE_PASSWORD);
            }
            PrivateKey privateKey = (PrivateKey) keyStore.getKey(ALIAS, STORE_PASSWORD);
            Certificate cert = keyStore.getCertificate(ALIAS);
            // The key first, readable by its owner only; the certificate last, so that a kept pair is complete.
            writeAtomically(key, pem("PRIVATE KEY", privateKey.getEncoded()), true);
            writeAtomically(certificate, pem("CERTIFICATE", cert.getEncoded()), false);
        } finally {
            Files.deleteIfExists(store);
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private static void writeAtomically(Path target, String content, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        if (secret) {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                throw new UncheckedIOException(new IOException("cannot restrict " + tmp + " to its owner", e));
            }
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
