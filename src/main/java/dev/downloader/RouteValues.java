package dev.downloader;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Named;
import jakarta.inject.Singleton;

import dev.downloader.outcome.KeyedJson;
import dev.downloader.outcome.Outcome;
import dev.downloader.watch.ProgressEvents;

/** The values the routes read by name ({@code ref:}), each built once. */
@ApplicationScoped
public class RouteValues {

    /** The probe has no answer yet: the first request, or a redirect to follow. */
    @Produces
    @Singleton
    @Named("awaitingProbe")
    RouteValue awaitingProbe() {
        return RouteValue.ofJob("awaitingProbe", DownloadJob::awaitingProbe);
    }

    /** The request names mirrors and the file is fetched in ranges. */
    @Produces
    @Singleton
    @Named("asksMirrors")
    RouteValue asksMirrors() {
        return RouteValue.ofJob("asksMirrors", DownloadJob::asksMirrors);
    }

    /** The request's mirrors, to probe one by one. */
    @Produces
    @Singleton
    @Named("mirrors")
    RouteValue mirrors() {
        return RouteValue.ofJob("mirrors", job -> job.request().mirrors());
    }

    /** Some chunk still has bytes to fetch (the probe's first bytes may have been the whole file). */
    @Produces
    @Singleton
    @Named("chunksLeft")
    RouteValue chunksLeft() {
        return RouteValue.ofJob("chunksLeft", job -> !job.ledger().allDone());
    }

    /** The download's lanes, one per connection, each taking the next pending chunk. */
    @Produces
    @Singleton
    @Named("lanes")
    RouteValue lanes() {
        return RouteValue.ofJob("lanes", DownloadJob::lanes);
    }

    /** The origin did not honour Range after all. */
    @Produces
    @Singleton
    @Named("rangeRefused")
    RouteValue rangeRefused() {
        return RouteValue.ofJob("rangeRefused", DownloadJob::rangeRefused);
    }

    /** The last progress event of this run, from the job and its outcome (the body; null when it has none yet). */
    @Produces
    @Singleton
    @Named("lastProgress")
    RouteValue lastProgress(ProgressEvents events) {
        return RouteValue.of("lastProgress", (job, outcome) -> events.ended(job, (Outcome) outcome));
    }

    /** The Kafka key of the body, an outcome or a progress event: the request's id. */
    @Produces
    @Singleton
    @Named("recordKey")
    RouteValue recordKey() {
        return RouteValue.ofBody("recordKey", KeyedJson.class, KeyedJson::key);
    }

    /** The JSON of the body, an outcome or a progress event. */
    @Produces
    @Singleton
    @Named("recordJson")
    RouteValue recordJson() {
        return RouteValue.ofBody("recordJson", KeyedJson.class, KeyedJson::json);
    }

    /** The topic of the outcome in the body: results, or the dead-letter topic. */
    @Produces
    @Singleton
    @Named("outcomeTopic")
    RouteValue outcomeTopic() {
        return RouteValue.ofBody("outcomeTopic", Outcome.class, Outcome::topic);
    }
}
