/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;

import com.sun.management.UnixOperatingSystemMXBean;

/**
 * The process basics Helidon's base metrics leave out, under the names Prometheus client libraries use:
 * {@code process_cpu_seconds_total}, {@code process_open_fds}, {@code process_max_fds},
 * {@code process_resident_memory_bytes} and {@code process_start_time_seconds}.
 *
 * <p>CPU seconds is exposed as a gauge (Helidon's functional counters hold whole numbers only); it only ever grows,
 * so {@code rate()} over it is correct.
 */
public final class ProcessMetrics {
    private static final Path STATM = Path.of("/proc/self/statm");
    private static final long PAGE_SIZE = 4096;

    private ProcessMetrics() {
    }

    /**
     * Registers the process gauges.
     *
     * @param registry where they go
     */
    public static void register(MeterRegistry registry) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os)) {
            return;
        }
        registry.getOrCreate(Gauge.builder("process.cpu.seconds.total", os, b -> b.getProcessCpuTime() / 1e9)
                                     .description("CPU time used by the process, in seconds"));
        registry.getOrCreate(Gauge.builder("process.open.fds", os, UnixOperatingSystemMXBean::getOpenFileDescriptorCount)
                                     .description("Open file descriptors"));
        registry.getOrCreate(Gauge.builder("process.max.fds", os, UnixOperatingSystemMXBean::getMaxFileDescriptorCount)
                                     .description("The limit of open file descriptors"));
        registry.getOrCreate(Gauge.builder("process.resident.memory.bytes", STATM, ProcessMetrics::residentBytes)
                                     .description("Resident memory of the process, in bytes"));
        long startMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        registry.getOrCreate(Gauge.builder("process.start.time.seconds", startMillis, s -> s / 1000.0)
                                     .description("When the process started, in seconds since the epoch"));
    }

    private static double residentBytes(Path statm) {
        try {
            // statm: size resident shared ... in pages.
            String[] fields = Files.readString(statm).trim().split(" ");
            return Long.parseLong(fields[1]) * PAGE_SIZE;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
