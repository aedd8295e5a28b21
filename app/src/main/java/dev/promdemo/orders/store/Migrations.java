/*
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.promdemo.orders.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;

import io.helidon.config.Config;

import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;

/**
 * Applies the Liquibase changelog from {@code db/changelog/} ({@code order-api migrate}).
 *
 * <p>Migrations run as their own step before the API serves, never inside the serving process: the service then
 * starts in about a second and does not carry Liquibase's memory.
 */
public final class Migrations {
    static final String CHANGELOG = "db/changelog/db.changelog-master.yaml";

    private Migrations() {
    }

    /**
     * Brings the schema up to date.
     *
     * @param db the {@code db} configuration
     * @param seed whether to load the demo data (the {@code demo} context) too
     * @throws Exception if the migration fails
     */
    public static void migrate(Config db, boolean seed) throws Exception {
        // Liquibase would otherwise send usage analytics from a database host; nothing here may call out.
        System.setProperty("liquibase.analytics.enabled", "false");
        try (Connection connection = connect(db)) {
            Database database = DatabaseFactory.getInstance()
                    .findCorrectDatabaseImplementation(new JdbcConnection(connection));
            Scope.child(Map.of("liquibase.analytics.enabled", false), () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                    // Without a context Liquibase runs every changeset, so "no seed" must exclude demo explicitly.
                    .addArgumentValue(UpdateCommandStep.CONTEXTS_ARG, seed ? "demo" : "!demo")
                    .execute());
        }
    }

    private static Connection connect(Config db) throws SQLException {
        return DriverManager.getConnection(db.get("url").asString().get(), db.get("user").asString().get(),
                                           db.get("password").asString().orElse(""));
    }
}
