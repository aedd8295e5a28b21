/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The report is one self-contained file that a browser renders with its charts, offline.
 */
class ReportIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    /** Anything that would make the page load another resource. */
    private static final Pattern EXTERNAL = Pattern.compile(
            "<link|<img|<iframe|src\\s*=|href\\s*=|@import|url\\(|fetch\\(|XMLHttpRequest|import\\(",
            Pattern.CASE_INSENSITIVE);

    @Test
    void reportRendersInHeadlessChromiumWithoutExternalResources(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        try (StubApi stub = new StubApi(1000)) {
            Runs.Run run = Runs.run(out, "--stage", "normal", "--target", stub.url(), "--users", "4", "--ramp", "1s",
                                    "--duration", "3s", "--think-time", "5ms-15ms", "--verify", "all",
                                    // Latency on a shared build machine is not what this test is about.
                                    "--threshold", "all:p95<5s");
            assertEquals(ExitCode.PASS, run.exitCode(), run.output());
        }
        Path html = out.resolve("report.html");
        String page = Files.readString(html);
        assertFalse(EXTERNAL.matcher(page).find(), "the report must not reference external resources");
        assertFalse(page.contains("/*REPORT_DATA*/null"), "the data was not inlined");
        assertTrue(Files.size(out.resolve("latency.hlog")) > 1000);

        assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
        Path png = dir.resolve("report.png");
        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-quic", "--no-first-run", "--disable-background-networking",
                                              "--disable-component-update", "--disable-sync",
                                              "--user-data-dir=" + dir.resolve("profile"), "--screenshot=" + png,
                                              "--window-size=1400,2000", html.toUri().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        assertTrue(chromium.waitFor(60, TimeUnit.SECONDS), "chromium did not finish");
        assertTrue(Files.exists(png), "no screenshot: " + Files.readString(dir.resolve("chromium.log")));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1400, image.getWidth());
        // A page with the charts has many colours (lines, bands, text); a blank or error page has a handful.
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 200, "the screenshot looks blank: " + colours.size() + " colours");
        // The chart series are drawn in their colours: the blue of requests/s and p50, the red of the error line.
        assertTrue(colours.contains(0xFF0969DA) || near(image, 0x0969DA), "no chart line in the screenshot");
        // Kept for a human look after the build.
        Files.copy(png, Path.of("target", "report-screenshot.png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean near(BufferedImage image, int rgb) {
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int c = image.getRGB(x, y) & 0xFFFFFF;
                if (Math.abs((c >> 16) - (rgb >> 16)) < 12 && Math.abs((c >> 8 & 0xFF) - (rgb >> 8 & 0xFF)) < 12
                        && Math.abs((c & 0xFF) - (rgb & 0xFF)) < 12) {
                    return true;
                }
            }
        }
        return false;
    }
}
