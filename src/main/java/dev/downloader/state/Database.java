package dev.downloader.state;

import java.util.List;

import javax.sql.DataSource;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.InjectableInstance;
import io.smallrye.common.annotation.Identifier;

/**
 * The one database in use, chosen by configuration at start: the embedded H2 (the default datasource) or PostgreSQL
 * (the datasource named {@code postgresql}, active once its URL is set). Both are built in; the other one is
 * deactivated ({@code quarkus.datasource.active=false} turns H2 off). The code reaches it as
 * {@code @Identifier("downloads") DataSource}.
 */
@ApplicationScoped
public class Database {

    public static final String NAME = "downloads";

    @Produces
    @Singleton
    @Identifier(NAME)
    DataSource active(@Any InjectableInstance<AgroalDataSource> dataSources) {
        List<AgroalDataSource> active = dataSources.listActive();
        if (active.size() != 1) {
            throw new IllegalStateException(active.size() + " databases are active, one must be: the embedded H2 is the"
                    + " default; for PostgreSQL set quarkus.datasource.postgresql.jdbc.url (with .username and .password)"
                    + " and quarkus.datasource.active=false");
        }
        return active.get(0);
    }
}
