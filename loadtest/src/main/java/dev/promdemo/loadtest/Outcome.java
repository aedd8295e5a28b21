/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest;

import java.util.Locale;

/**
 * How one request ended; the name is the {@code outcome} label.
 */
enum Outcome {
    /** The expected status and, for writes, an order that matches what was sent. */
    OK,
    /** No connection, or it broke before a response arrived (refused, reset, closed early). */
    CONNECT_ERROR,
    /** No complete response within the request timeout. */
    TIMEOUT,
    /** A 4xx status (a read of an order that should exist counts here too). */
    HTTP_4XX,
    /** A 5xx status. */
    HTTP_5XX,
    /** An expected status with a wrong body: unparseable, or an order that differs from the one sent. */
    CHECK_FAILED;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    boolean isError() {
        return this != OK;
    }

    static Outcome ofStatus(int status) {
        if (status >= 500) {
            return HTTP_5XX;
        }
        return status >= 400 ? HTTP_4XX : CHECK_FAILED;
    }
}
