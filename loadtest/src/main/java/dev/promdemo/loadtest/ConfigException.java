/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

/**
 * A command line or setting that cannot be run as given; the process exits with {@link ExitCode#CONFIG_ERROR}.
 */
final class ConfigException extends RuntimeException {
    ConfigException(String message) {
        super(message);
    }
}
