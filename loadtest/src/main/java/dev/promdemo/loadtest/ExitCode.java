/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

/**
 * The process exit codes, as documented in {@code --help} and the README.
 */
public final class ExitCode {
    /** Every stage ran and every threshold (and the verification pass, if asked for) passed. */
    public static final int PASS = 0;
    /** An unexpected failure of the generator itself (a bug); the stack trace is printed. */
    public static final int INTERNAL_ERROR = 1;
    /** The command line or a setting is invalid: unknown option, stage, threshold name or malformed value. */
    public static final int CONFIG_ERROR = 2;
    /** The target did not answer at preflight, so no load was sent. */
    public static final int UNREACHABLE = 3;
    /** A threshold failed, or the verification pass found a lost or altered order. */
    public static final int FAILED = 99;
    /** Interrupted (Ctrl-C, SIGTERM); the partial results are still written. */
    public static final int INTERRUPTED = 130;

    private ExitCode() {
    }
}
