package org.opendsi.ss.postgres.internal;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.time.Duration;

import javax.sql.DataSource;

import org.opendsi.ss.SharedStore;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the {@link SharedStore} on PostgreSQL once {@code etc/org.opendsi.ss.postgres.cfg} exists and
 * the pooled {@link DataSource} it names is there (pax-jdbc config from
 * {@code etc/org.ops4j.datasource-dsi-ss.cfg}; {@code jdbc:ds-list} shows it). The schema is migrated
 * before the service appears, so a Security Server never sees an old schema.
 */
@Component(immediate = true, configurationPid = PostgresStoreComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = PostgresStoreComponent.Config.class)
public class PostgresStoreComponent {

    static final String PID = "org.opendsi.ss.postgres";
    private static final Logger LOG = LoggerFactory.getLogger(PostgresStoreComponent.class);

    @ObjectClassDefinition(name = "DSI Security Server store on PostgreSQL")
    public @interface Config {
        @AttributeDefinition(description = "Filter selecting the pax-jdbc DataSource service")
        String datasource_target() default "(osgi.jndi.service.name=dsi-ss)";

        @AttributeDefinition(description = "Lease time in milliseconds: how long after the active Security Server "
                + "stops renewing (killed, paused, cut off) a standby may take over", min = "300", max = "60000")
        int lease_millis() default 1000;

        @AttributeDefinition(description = "Alarms kept (the oldest are deleted)", min = "100")
        int alarms_max() default 100_000;

        @AttributeDefinition(description = "Policy sources kept", min = "2")
        int policies_max() default 100;
    }

    @Reference(name = "datasource")
    DataSource dataSource;

    private ServiceRegistration<SharedStore> registration;

    @Activate
    void activate(BundleContext context, Config config) throws Exception {
        String location;
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData m = c.getMetaData();
            String url = m.getURL();
            // the driver appends every connection property: the host, port and database say where it is
            location = (url.indexOf('?') > 0 ? url.substring(0, url.indexOf('?')) : url) + " as " + m.getUserName();
        }
        long started = System.nanoTime();
        SchemaMigrations.migrate(dataSource);
        LOG.info("Security Server store on PostgreSQL ({}): schema up to date in {} ms", location,
                (System.nanoTime() - started) / 1_000_000);
        PostgresSharedStore store = new PostgresSharedStore(dataSource, location, Duration.ofMillis(config.lease_millis()),
                config.alarms_max(), config.policies_max());
        registration = context.registerService(SharedStore.class, store, null);
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
            registration = null;
        }
    }
}
