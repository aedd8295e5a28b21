/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.http;

import java.io.IOException;
import java.io.UncheckedIOException;

import dev.promdemo.orders.order.Order;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The API's JSON: snake_case names, exact decimals, and a strict reader.
 *
 * <p>The reader refuses duplicate keys and trailing content, and reads every number exactly (BigDecimal), so a
 * price is never rounded through a double before it is validated.
 */
final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder(
                    JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();
    private static final ObjectWriter ORDER_WRITER = MAPPER.writerFor(Order.class);
    private static final ObjectWriter PROBLEM_WRITER = MAPPER.writerFor(Problem.class);

    private Json() {
    }

    /**
     * Reads a request body into a tree.
     *
     * @param body the bytes
     * @return the tree
     * @throws ApiProblem if the bytes are not one well-formed JSON value
     */
    static JsonNode read(byte[] body) {
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ApiProblem.malformedJson("the request body is empty");
            }
            return node;
        } catch (IOException e) {
            throw ApiProblem.malformedJson(firstLine(e.getMessage()));
        }
    }

    static byte[] write(Order order) {
        try {
            return ORDER_WRITER.writeValueAsBytes(order);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] write(Problem problem) {
        try {
            return PROBLEM_WRITER.writeValueAsBytes(problem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "the request body is not valid JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /**
     * An RFC 9457 problem body, with the offending field as an extension member.
     *
     * @param type a URI reference naming the kind of problem
     * @param title a short summary of that kind
     * @param status the HTTP status
     * @param detail what was wrong with this request
     * @param field the offending input, or {@code null}
     */
    record Problem(String type, String title, int status, String detail, String field) {
    }
}
