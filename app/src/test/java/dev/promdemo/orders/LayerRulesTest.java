/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The import rule of each layer, checked on the sources: what a reader relies on when opening a package.
 */
class LayerRulesTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/promdemo/orders");

    @Test
    void httpLayerNeverTouchesSql() throws IOException {
        assertEquals(List.of(), violations("http", "java.sql", "javax.sql", "io.helidon.dbclient", "com.zaxxer",
                                           "dev.promdemo.orders.store"));
    }

    @Test
    void storeNeverTouchesHttp() throws IOException {
        assertEquals(List.of(), violations("store", "io.helidon.http", "io.helidon.webserver",
                                           "dev.promdemo.orders.http"));
    }

    @Test
    void domainUsesTheJdkOnly() throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : imports("order")) {
            if (!line.startsWith("import java.") && !line.startsWith("import dev.promdemo.orders.order.")) {
                found.add(line);
            }
        }
        assertEquals(List.of(), found);
    }

    private static List<String> violations(String layer, String... forbidden) throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : imports(layer)) {
            for (String prefix : forbidden) {
                if (line.startsWith("import " + prefix + ".") || line.startsWith("import static " + prefix + ".")) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    private static List<String> imports(String layer) throws IOException {
        Path dir = SOURCES.resolve(layer);
        assertTrue(Files.isDirectory(dir), "no package " + dir.toAbsolutePath());
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                for (String line : Files.readAllLines(file)) {
                    String trimmed = line.strip();
                    // Fully qualified names in code would dodge an import check; they count as imports here.
                    if (trimmed.startsWith("import ")) {
                        lines.add(trimmed + "  // " + file.getFileName());
                    } else if (trimmed.matches(".*\\b(java\\.sql|io\\.helidon\\.(http|webserver|dbclient))\\.[A-Z].*")
                            && !trimmed.startsWith("*") && !trimmed.startsWith("//")) {
                        lines.add("import " + trimmed.replaceAll(".*?\\b((java\\.sql|io\\.helidon\\.\\w+)\\.\\w+).*",
                                                                 "$1") + "  // used in " + file.getFileName());
                    }
                }
            }
        }
        return lines;
    }
}
