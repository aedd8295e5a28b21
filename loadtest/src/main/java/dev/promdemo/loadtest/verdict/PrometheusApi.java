/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.loadtest.verdict;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Prometheus's HTTP API ({@code /api/v1/query}, {@code query_range}, {@code rules}), read with the JDK client.
 */
final class PrometheusApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    PrometheusApi(URI base) {
        this.base = base;
    }

    URI base() {
        return base;
    }

    /**
     * The rules Prometheus has loaded.
     *
     * @return the alerts with their {@code for:}, the recording rules, and the rules whose last evaluation failed
     * @throws IOException if Prometheus does not answer
     */
    Rules rules() throws IOException {
        JsonNode data = get("rules", Map.of());
        Map<String, Alert> alerts = new LinkedHashMap<>();
        Set<String> records = new HashSet<>();
        Map<String, String> recordQueries = new HashMap<>();
        List<JsonNode> alerting = new ArrayList<>();
        List<String> unhealthy = new ArrayList<>();
        // The slowest group's interval: every rule has been evaluated once within it.
        double interval = 0;
        for (JsonNode group : data.path("groups")) {
            interval = Math.max(interval, group.path("interval").asDouble(15));
            for (JsonNode rule : group.path("rules")) {
                String name = rule.path("name").asText();
                if (rule.path("type").asText().equals("alerting")) {
                    alerting.add(rule);
                } else {
                    records.add(name);
                    recordQueries.merge(name, rule.path("query").asText(""), (a, b) -> a + " " + b);
                }
                if (rule.path("health").asText().equals("err")) {
                    unhealthy.add(name + ": " + rule.path("lastError").asText());
                }
            }
        }
        for (JsonNode rule : alerting) {
            String name = rule.path("name").asText();
            Duration hold = Duration.ofMillis(Math.round(rule.path("duration").asDouble() * 1000));
            Duration window = window(rule.path("query").asText(""), recordQueries, new HashSet<>());
            alerts.merge(name, new Alert(name, hold, window, rule.path("labels").path("severity").asText("")),
                         (a, b) -> a.hold().compareTo(b.hold()) <= 0 ? a : b);
        }
        Duration evaluation = Duration.ofMillis(Math.round((interval > 0 ? interval : 15) * 1000));
        return new Rules(alerts, records, unhealthy, evaluation);
    }

    private static final Pattern RANGE = Pattern.compile("\\[(\\d+)(ms|s|m|h|d)(?::[^\\]]*)?\\]");
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    /** {@code irate} and {@code idelta} of a selector: they read its last two samples, whatever their range. */
    private static final Pattern LAST_TWO = Pattern.compile("\\b(?:irate|idelta)\\s*\\(\\s*[^()\\[]*\\[[^\\]]*\\]\\s*\\)");

    /**
     * The longest range selector ({@code [1m]}) an expression reads, through the recording rules it names: how
     * long a sudden change takes to show fully in its value. The range of {@code irate} and {@code idelta} does not
     * count: they read the last two samples, so a change shows within a scrape.
     *
     * @param query the expression
     * @param records the recording rules' expressions by name
     * @param seen the recording rules already followed
     * @return the longest range, or zero if it reads only instant values
     */
    static Duration window(String query, Map<String, String> records, Set<String> seen) {
        Duration longest = Duration.ZERO;
        Matcher range = RANGE.matcher(LAST_TWO.matcher(query).replaceAll("0"));
        while (range.find()) {
            long n = Long.parseLong(range.group(1));
            Duration d = switch (range.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            longest = d.compareTo(longest) > 0 ? d : longest;
        }
        Matcher name = NAME.matcher(query);
        while (name.find()) {
            String used = name.group();
            if (records.containsKey(used) && seen.add(used)) {
                Duration d = window(records.get(used), records, seen);
                longest = d.compareTo(longest) > 0 ? d : longest;
            }
        }
        return longest;
    }

    /**
     * A range query.
     *
     * @param query the PromQL
     * @param from the first point
     * @param to the last point
     * @param step between points
     * @return the series
     * @throws IOException if Prometheus does not answer or rejects the query
     */
    List<Series> range(String query, Instant from, Instant to, Duration step) throws IOException {
        JsonNode data = get("query_range", Map.of("query", query, "start", seconds(from), "end", seconds(to),
                                                  "step", seconds(step.toMillis())));
        return series(data.path("result"), "values");
    }

    /**
     * An instant query.
     *
     * @param query the PromQL
     * @param at when
     * @return the series, one sample each
     * @throws IOException if Prometheus does not answer or rejects the query
     */
    List<Series> instant(String query, Instant at) throws IOException {
        JsonNode data = get("query", Map.of("query", query, "time", seconds(at)));
        if (!data.path("resultType").asText().equals("vector")) {
            throw new IOException("'" + query + "' is not an instant vector (" + data.path("resultType").asText()
                                          + ")");
        }
        return series(data.path("result"), "value");
    }

    private static List<Series> series(JsonNode result, String field) {
        List<Series> list = new ArrayList<>();
        for (JsonNode s : result) {
            Map<String, String> labels = new LinkedHashMap<>();
            s.path("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
            List<Sample> samples = new ArrayList<>();
            JsonNode values = s.path(field);
            if (field.equals("value")) {
                samples.add(sample(values));
            } else {
                values.forEach(v -> samples.add(sample(v)));
            }
            list.add(new Series(labels, samples));
        }
        return list;
    }

    private static Sample sample(JsonNode pair) {
        double t = pair.get(0).asDouble();
        String v = pair.get(1).asText();
        double value = switch (v) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(v);
        };
        return new Sample(Instant.ofEpochMilli(Math.round(t * 1000)), value);
    }

    private JsonNode get(String path, Map<String, String> params) throws IOException {
        StringBuilder url = new StringBuilder(base.toString()).append("/api/v1/").append(path);
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            url.append(sep).append(e.getKey()).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(url.toString())).timeout(TIMEOUT).GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IOException(path + " answered " + response.statusCode() + " without JSON");
        }
        if (!body.path("status").asText().equals("success")) {
            throw new IOException(body.path("errorType").asText("error") + ": " + body.path("error").asText(
                    "status " + response.statusCode()));
        }
        return body.path("data");
    }

    private static String seconds(Instant t) {
        return seconds(t.toEpochMilli());
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }

    /**
     * An alerting rule.
     *
     * @param name its name
     * @param hold its {@code for:}
     * @param window the longest range its expression reads (through recording rules), zero if none
     * @param severity its severity label
     */
    record Alert(String name, Duration hold, Duration window, String severity) {
    }

    /**
     * What {@code /api/v1/rules} lists.
     *
     * @param alerts the alerting rules by name (the shortest {@code for:} of rules sharing a name)
     * @param records the recording rules' names
     * @param unhealthy the rules whose last evaluation failed, with the error
     * @param interval the evaluation interval
     */
    record Rules(Map<String, Alert> alerts, Set<String> records, List<String> unhealthy, Duration interval) {
    }

    /**
     * One series.
     *
     * @param labels its labels
     * @param samples its points, in time order
     */
    record Series(Map<String, String> labels, List<Sample> samples) {
        String describe() {
            Map<String, String> shown = new LinkedHashMap<>(labels);
            shown.remove("__name__");
            return labels.getOrDefault("__name__", "") + shown.toString().replace("=", "=\"").replace(", ", "\", ")
                    .replace("}", shown.isEmpty() ? "}" : "\"}");
        }
    }

    /**
     * One point.
     *
     * @param at when
     * @param value its value
     */
    record Sample(Instant at, double value) {
    }
}
