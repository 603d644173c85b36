package dev.downloader.outcome;

/** JSON published to Kafka under a key: an outcome, a progress event. */
public interface KeyedJson {

    String key();

    String json();
}
