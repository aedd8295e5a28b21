/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each package keeps the one rule its package-info states, read from the sources: every reference to another
 * package of the generator, to a library, to HTTP and to the command line or environment is checked.
 */
class PackageRulesTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/promdemo/loadtest");
    private static final Pattern OWN = Pattern.compile("dev\\.promdemo\\.loadtest\\.([a-z]+)\\b");
    private static final Pattern IMPORT = Pattern.compile("(?m)^import (?:static )?([a-zA-Z0-9_.]+)");

    /** The generator's packages each package may use, besides its own. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "", Set.of("plan", "engine", "measure", "target", "output", "fault", "verdict"),
            "cli", Set.of("", "plan", "fault"),
            "plan", Set.of(),
            "engine", Set.of("plan", "measure", "target"),
            "measure", Set.of("plan"),
            "target", Set.of("plan", "measure"),
            "output", Set.of("plan", "measure"),
            "fault", Set.of("plan"),
            "verdict", Set.of("plan", "measure"));
    /** The libraries each package may import; the JDK's java.* is open to all except where a rule below says. */
    private static final Map<String, List<String>> LIBRARIES = Map.of(
            "", List.of("com.fasterxml.jackson."),
            "cli", List.of(),
            "plan", List.of("org.HdrHistogram."),
            "engine", List.of(),
            "measure", List.of("org.HdrHistogram."),
            "target", List.of("com.fasterxml.jackson."),
            "output", List.of("org.HdrHistogram.", "io.prometheus.", "com.fasterxml.jackson."),
            "fault", List.of(),
            "verdict", List.of("com.fasterxml.jackson."));

    @Test
    void everyPackageKeepsItsImportRule() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        try (Stream<Path> sources = Files.walk(SOURCES)) {
            for (Path file : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                files++;
                String pkg = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
                String code = Files.readString(file);
                String name = SOURCES.relativize(file).toString();
                Matcher own = OWN.matcher(code);
                while (own.find()) {
                    String used = own.group(1);
                    if (!used.equals(pkg) && ALLOWED.containsKey(used) && !ALLOWED.get(pkg).contains(used)) {
                        violations.add(name + " uses " + used);
                    }
                }
                Matcher imports = IMPORT.matcher(code);
                while (imports.find()) {
                    String imported = imports.group(1);
                    if (imported.startsWith("java.") || imported.startsWith("dev.promdemo.loadtest")
                            || LIBRARIES.get(pkg).stream().anyMatch(imported::startsWith)) {
                        continue;
                    }
                    violations.add(name + " imports " + imported);
                }
                if (!pkg.equals("target") && !pkg.equals("verdict") && code.contains("java.net.http")) {
                    violations.add(name + " speaks HTTP (java.net.http): only target (the API) and verdict "
                                           + "(Prometheus) may");
                }
                if (!pkg.equals("cli") && (code.contains("System.getenv") || code.contains("String[] args"))) {
                    violations.add(name + " reads the command line or the environment: only cli may");
                }
            }
        }
        assertTrue(files > 25, "found only " + files + " sources under " + SOURCES.toAbsolutePath());
        assertEquals(List.of(), violations);
    }
}
