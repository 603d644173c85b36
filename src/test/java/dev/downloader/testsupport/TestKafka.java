package dev.downloader.testsupport;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The tests' side of Kafka: drops requests on the requests topic and collects everything published on the results
 * and dead-letter topics, and apart from them on the progress topic, from the beginning, by a consumer of its own.
 */
public final class TestKafka {

    private static TestKafka instance;

    private final KafkaProducer<String, byte[]> producer;
    private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    private final List<Progress> progress = new CopyOnWriteArrayList<>();
    private final ObjectMapper mapper = new ObjectMapper();
    private final String requests;
    private final String bootstrap;
    private volatile boolean closed;
    private final Thread collector;

    /** A record seen on the results or dead-letter topic. */
    public record Outcome(String topic, String key, JsonNode json) {
    }

    /** A record seen on the progress topic. */
    public record Progress(String key, JsonNode json) {
    }

    /** The test side of the current broker: a test profile restarts the services, and with them the broker. */
    public static synchronized TestKafka get() {
        String bootstrap = ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class);
        if (instance == null || !instance.bootstrap.equals(bootstrap)) {
            if (instance != null) {
                instance.closed = true;
                instance.producer.close(Duration.ZERO);
            }
            var config = ConfigProvider.getConfig();
            instance = new TestKafka(bootstrap, config.getValue("downloader.topic.requests", String.class),
                    List.of(config.getValue("downloader.topic.results", String.class),
                            config.getValue("downloader.topic.dlq", String.class)),
                    config.getValue("downloader.topic.progress", String.class));
        }
        return instance;
    }

    /** The test side of a broker a test started itself, for a service it runs as a process (DESIGN's topic names). */
    public static TestKafka of(String bootstrap) {
        return new TestKafka(bootstrap, "downloads.requests", List.of("downloads.results", "downloads.dlq"),
                "downloads.progress");
    }

    private TestKafka(String bootstrap, String requests, List<String> outcomeTopics, String progressTopic) {
        this.bootstrap = bootstrap;
        this.requests = requests;
        producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024),
                new StringSerializer(), new ByteArraySerializer());
        collector = new Thread(() -> collect(bootstrap, outcomeTopics, progressTopic), "test-outcome-collector");
        collector.setDaemon(true);
        collector.start();
    }

    public void send(String key, byte[] payload) {
        send(requests, key, payload);
    }

    public void send(String topic, String key, byte[] payload) {
        try {
            producer.send(new ProducerRecord<>(topic, key, payload)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send the request", e);
        }
    }

    public void send(String key, String json) {
        send(key, json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Waits for the first outcome keyed {@code key}. */
    public Outcome awaitOutcome(String key) {
        return awaitOutcome(o -> Objects.equals(o.key(), key));
    }

    public Outcome awaitOutcome(Predicate<Outcome> which) {
        return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> outcomes.stream().filter(which).findFirst().orElse(null), Objects::nonNull);
    }

    public List<Outcome> outcomes(Predicate<Outcome> which) {
        return outcomes.stream().filter(which).toList();
    }

    /** The progress events keyed {@code key} seen so far, in the order they were published. */
    public List<Progress> progress(String key) {
        return progress.stream().filter(p -> Objects.equals(p.key(), key)).toList();
    }

    /** Stops the collector and waits until its consumer has left its group: call it before stopping the broker. */
    public void close() throws InterruptedException {
        closed = true;
        producer.close(Duration.ZERO);
        // a consumer still leaving when the broker stops makes both sides log errors
        collector.join(Duration.ofSeconds(30).toMillis());
    }

    private void collect(String bootstrap, List<String> outcomeTopics, String progressTopic) {
        List<String> topics = new ArrayList<>(outcomeTopics);
        topics.add(progressTopic);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(topics);
            while (!closed) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(progressTopic)) {
                        progress.add(new Progress(record.key(), mapper.readTree(record.value())));
                    } else {
                        outcomes.add(new Outcome(record.topic(), record.key(), mapper.readTree(record.value())));
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("outcome collector stopped", e);
        }
    }
}
