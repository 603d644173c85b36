package dev.downloader.state;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Where a request came from on Kafka; echoed in its dead letter. */
@RegisterForReflection
public record Source(String topic, Integer partition, Long offset) {

    public static Source of(String topic, Integer partition, Long offset) {
        return new Source(topic, partition, offset);
    }

    /** The id of a request that carries none: stable across redeliveries of the same record. */
    public String derivedId() {
        return topic + "-" + partition + "-" + offset;
    }
}
