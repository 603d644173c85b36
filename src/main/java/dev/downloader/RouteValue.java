package dev.downloader;

import java.util.function.BiFunction;
import java.util.function.Function;

import org.apache.camel.Exchange;
import org.apache.camel.support.ExpressionAdapter;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A value the routes read from the download's job and the message body, as an expression or a predicate built once
 * and named ({@code ref:} in the YAML, see {@link RouteValues}). A simple expression that calls a method
 * ({@code ${exchangeProperty.job.awaitingProbe()}}, {@code ${body.key()}}) builds a bean invocation and copies the
 * exchange, headers and properties, at every evaluation: 3 % of a warm service's CPU outside the JIT in a flood of small
 * files (bench/README, sixteenth round).
 */
@RegisterForReflection(fields = false)
public final class RouteValue extends ExpressionAdapter {

    private final String name;
    private final BiFunction<DownloadJob, Object, Object> value;

    private RouteValue(String name, BiFunction<DownloadJob, Object, Object> value) {
        this.name = name;
        this.value = value;
    }

    /** From the job and the body. */
    static RouteValue of(String name, BiFunction<DownloadJob, Object, Object> value) {
        return new RouteValue(name, value);
    }

    /** From the job alone. */
    static RouteValue ofJob(String name, Function<DownloadJob, Object> value) {
        return new RouteValue(name, (job, body) -> value.apply(job));
    }

    /** From the body alone, of the type given. */
    static <T> RouteValue ofBody(String name, Class<T> type, Function<T, Object> value) {
        return new RouteValue(name, (job, body) -> value.apply(type.cast(body)));
    }

    @Override
    public Object evaluate(Exchange exchange) {
        return value.apply(exchange.getProperty(DownloadJob.PROPERTY, DownloadJob.class), exchange.getMessage().getBody());
    }

    @Override
    public String toString() {
        return name;
    }
}
