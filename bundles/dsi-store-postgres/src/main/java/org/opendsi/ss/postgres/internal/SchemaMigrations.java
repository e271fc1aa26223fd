package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import javax.sql.DataSource;

import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.resource.ClassLoaderResourceAccessor;

/**
 * Brings the store's schema to this bundle's version with Liquibase ({@code db/dsi-changelog.sql}, a
 * formatted-SQL changelog). Liquibase's lock table serializes servers that start at the same time;
 * a change set already applied is skipped, one that was edited after it shipped fails the start.
 */
final class SchemaMigrations {

    /** Recorded as the file name of every change set: never rename. */
    static final String CHANGELOG = "db/dsi-changelog.sql";

    private SchemaMigrations() {
    }

    static void migrate(DataSource dataSource) throws Exception {
        // Liquibase 4.x reports usage over the network unless told not to; this cluster's SS must not
        System.setProperty("liquibase.analytics.enabled", "false");
        ClassLoader own = SchemaMigrations.class.getClassLoader();
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(own);
        try (Connection c = dataSource.getConnection()) {
            Database db = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(new JdbcConnection(c));
            Map<String, Object> scope = Map.of(Scope.Attr.resourceAccessor.name(), new ClassLoaderResourceAccessor(own),
                    Scope.Attr.classLoader.name(), own);
            Scope.child(scope, () -> new CommandScope(UpdateCommandStep.COMMAND_NAME)
                    .addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, db)
                    .addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG)
                    .execute());
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /** The id of the newest change set applied, "" when none. */
    static String version(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT id FROM databasechangelog ORDER BY orderexecuted DESC LIMIT 1")) {
            return r.next() ? r.getString(1) : "";
        }
    }
}
