/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

/**
 * A request the API refuses, carrying what becomes an RFC 9457 problem response.
 *
 * <p>The {@code type} is a stable, relative URI per kind of problem (documented in app/README.md); {@code field}
 * names the offending input, as a path such as {@code items[2].quantity}, or is {@code null}.
 */
final class ApiProblem extends RuntimeException {
    private final int status;
    private final String type;
    private final String title;
    private final String field;

    ApiProblem(int status, String type, String title, String detail, String field) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.field = field;
    }

    static ApiProblem malformedJson(String detail) {
        return new ApiProblem(400, "/problems/malformed-json", "Malformed JSON", detail, null);
    }

    static ApiProblem invalidField(String field, String detail) {
        return new ApiProblem(422, "/problems/invalid-field", "Invalid field", detail, field);
    }

    static ApiProblem invalidId(String detail) {
        return new ApiProblem(400, "/problems/invalid-id", "Invalid order id", detail, "id");
    }

    static ApiProblem unknownCustomer(long customerId) {
        return new ApiProblem(422, "/problems/unknown-customer", "Unknown customer",
                              "no customer with id " + customerId, "customer_id");
    }

    static ApiProblem noSuchResource(String path) {
        return new ApiProblem(404, "/problems/not-found", "Not found",
                              "no resource at " + (path.length() <= 64 ? path : path.substring(0, 64) + "..."), null);
    }

    static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "/problems/not-found", "Not found", detail, null);
    }

    static ApiProblem unsupportedMediaType(String contentType) {
        return new ApiProblem(415, "/problems/unsupported-media-type", "Unsupported media type",
                              "Content-Type must be application/json, was " + contentType, null);
    }

    static ApiProblem bodyTooLarge(long limit) {
        return new ApiProblem(413, "/problems/body-too-large", "Request body too large",
                              "the request body must be at most " + limit + " bytes", null);
    }

    static ApiProblem databaseUnavailable(String detail) {
        return new ApiProblem(503, "/problems/database-unavailable", "Database unavailable", detail, null);
    }

    static ApiProblem overloaded() {
        return new ApiProblem(503, "/problems/overloaded", "Overloaded",
                              "the server is at its concurrency limit; retry later", null);
    }

    static ApiProblem methodNotAllowed(String method, String allowed) {
        return new ApiProblem(405, "/problems/method-not-allowed", "Method not allowed",
                              "method " + method + " is not allowed here; allowed: " + allowed, null);
    }

    static ApiProblem badRequest(int status, String title) {
        return new ApiProblem(status, "/problems/bad-request", title, "the server refused the request: " + title,
                              null);
    }

    static ApiProblem internal() {
        return new ApiProblem(500, "/problems/internal", "Internal error",
                              "the request failed on the server; nothing was written", null);
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String title() {
        return title;
    }

    String field() {
        return field;
    }
}
