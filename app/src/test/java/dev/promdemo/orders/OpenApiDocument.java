/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * The API's OpenAPI 3.1 document as the server serves it, and its component schemas as JSON Schema 2020-12 (what an
 * OpenAPI 3.1 schema is), to check real responses against.
 */
final class OpenApiDocument {
    private static final String BASE = "https://order-api.invalid/openapi.json";

    private final JsonSchemaFactory factory;
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();

    /**
     * @param json the document, as JSON text
     */
    OpenApiDocument(String json) {
        // The document is the only schema resource; its internal $refs resolve against it.
        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                                                     builder -> builder.schemaLoaders(
                                                             loaders -> loaders.schemas(Map.of(BASE, json))));
    }

    /**
     * Checks a value against one of {@code components.schemas}.
     *
     * @param component the schema's name, such as {@code Order}
     * @param value the value
     * @return the violations, empty if it conforms
     */
    Set<ValidationMessage> violations(String component, JsonNode value) {
        JsonSchema schema = schemas.computeIfAbsent(component, name -> factory.getSchema(
                "{\"$ref\":\"" + BASE + "#/components/schemas/" + name + "\"}"));
        return schema.validate(value);
    }
}
