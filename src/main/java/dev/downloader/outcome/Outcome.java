package dev.downloader.outcome;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A result or dead-letter record ready to publish: {@code key} is the Kafka key (null for an unparsable request),
 * {@code state} the download's final state, COMPLETED, FAILED or CANCELLED.
 */
@RegisterForReflection
public record Outcome(String id, String key, String state, String topic, String json) implements KeyedJson {
}
