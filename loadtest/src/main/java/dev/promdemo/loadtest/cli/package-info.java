/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The command line: argv, the environment and {@code --help}, parsed into a run, and the process's exit code.
 *
 * <p>Rule: the only package that sees {@code String[] args} or {@code System.getenv}.
 */
package dev.promdemo.loadtest.cli;
