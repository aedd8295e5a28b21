/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.plan;

import java.util.Locale;

/**
 * How one request ended; the name is the {@code outcome} label.
 */
public enum Outcome {
    /** The expected status and, for writes, an order that matches what was sent. */
    OK,
    /** No connection, or it broke before a response arrived (refused, reset, closed early). */
    CONNECT_ERROR,
    /** No complete response within the request timeout. */
    TIMEOUT,
    /** A 4xx status (a read of an order that should exist counts here too). */
    HTTP_4XX,
    /** A 5xx status other than 503. */
    HTTP_5XX,
    /**
     * 503 Service Unavailable: the API turned the request away (its concurrency limit when overloaded, with
     * {@code Retry-After}, or its database is down). Counted apart from other 5xx because it is the API protecting
     * itself, not failing; it is still an error for the user, and is not retried.
     */
    SHED,
    /** An expected status with a wrong body: unparseable, or an order that differs from the one sent. */
    CHECK_FAILED;

    /**
     * The {@code outcome} label.
     *
     * @return e.g. {@code http_5xx}
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether this outcome is an error.
     *
     * @return {@code false} only for {@link #OK}
     */
    public boolean isError() {
        return this != OK;
    }

    /**
     * The outcome of an unexpected status.
     *
     * @param status the HTTP status, not the expected one
     * @return its class
     */
    public static Outcome ofStatus(int status) {
        if (status == 503) {
            return SHED;
        }
        if (status >= 500) {
            return HTTP_5XX;
        }
        return status >= 400 ? HTTP_4XX : CHECK_FAILED;
    }
}
