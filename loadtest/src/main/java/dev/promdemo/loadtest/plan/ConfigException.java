/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

/**
 * A command line or setting that cannot be run as given; the process exits with the configuration-error code.
 */
public final class ConfigException extends RuntimeException {
    /**
     * A configuration error.
     *
     * @param message what is wrong and how to fix it
     */
    public ConfigException(String message) {
        super(message);
    }
}
