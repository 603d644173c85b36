package dev.downloader;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.downloader.testsupport.TestKafka;
import dev.downloader.testsupport.TestServicesResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Exactly one outcome per request message: a record Kafka delivers again (its offset commit lost in a rebalance, a
 * crash between insert and commit) is a redelivery, not a duplicate, and gets no second outcome. The test makes the
 * broker really redeliver: it stops the consumer, rewinds the group's committed offset and starts it again.
 */
@QuarkusTest
@QuarkusTestResource(value = TestServicesResource.class, restrictToAnnotatedClass = false)
class RedeliveryFlowTest extends FlowSupport {

    @Inject
    CamelContext camel;

    @Test
    void aRedeliveredRecordGetsNoSecondOutcomeWhileATrueDuplicateGetsOne() throws Exception {
        origin.serve("/again/a.bin", randomBytes(40_000, 90));
        TestKafka.get().send("again-1", "{\"id\": \"again-1\", \"url\": \"" + origin.url("/again/a.bin") + "\"}");
        TestKafka.get().send(null, "{\"url\": \"" + origin.url("/again/a.bin") + "\", \"target\": \"again/b.bin\"}");
        JsonNode first = TestKafka.get().awaitOutcome("again-1").json();
        JsonNode derived = TestKafka.get().awaitOutcome(o -> o.json().path("path").asText().equals("again/b.bin")).json();
        assertEquals("COMPLETED", first.path("status").asText(), first.toString());
        // the record without an id is named after its offset, and again-1 was sent just before it
        long firstOffset = offsetOf(derived) - 1;

        camel.getRouteController().stopRoute("accept");
        String group = ConfigProvider.getConfig().getValue("downloader.consumer-group", String.class);
        String topic = ConfigProvider.getConfig().getValue("downloader.topic.requests", String.class);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class)))) {
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0),
                        new OffsetAndMetadata(firstOffset))).all().get();
                return true;
            });
        }
        camel.getRouteController().startRoute("accept");
        // a true duplicate, sent after the replayed records: answered once, from the record
        TestKafka.get().send("again-1", "{\"id\": \"again-1\", \"url\": \"" + origin.url("/again/a.bin") + "\"}");
        TestKafka.get().awaitOutcome(o -> "again-1".equals(o.key()) && o.json().path("duplicate").asBoolean());
        origin.serve("/again/after.bin", randomBytes(1000, 91));
        TestKafka.get().send("again-after", "{\"id\": \"again-after\", \"url\": \"" + origin.url("/again/after.bin") + "\"}");
        TestKafka.get().awaitOutcome("again-after");

        assertEquals(2, TestKafka.get().outcomes(o -> "again-1".equals(o.key())).size(),
                "the first outcome and the true duplicate's answer, none for the redelivery");
        assertEquals(1, TestKafka.get().outcomes(o -> o.json().path("path").asText().equals("again/b.bin")).size(),
                "the record without an id was redelivered too: no second outcome");
    }

    @Test
    void theOffsetsOfAFloodAreCommittedUpToItsLastRecord() throws Exception {
        // recorded requests are committed once per poll, at its last record: none may be left uncommitted (a dead
        // letter's record is committed at once, so it goes first: its commit covers nothing after it)
        TestKafka.get().send("flood-bad", "{\"id\": \"flood-bad\"}");
        for (int i = 0; i < 30; i++) {
            origin.serve("/flood/" + i + ".bin", randomBytes(1000, 200 + i));
            TestKafka.get().send("flood-" + i, "{\"id\": \"flood-" + i + "\", \"url\": \""
                    + origin.url("/flood/" + i + ".bin") + "\"}");
        }
        for (int i = 0; i < 30; i++) {
            assertEquals("COMPLETED", TestKafka.get().awaitOutcome("flood-" + i).json().path("status").asText());
        }
        TestKafka.get().awaitOutcome("flood-bad");

        String group = ConfigProvider.getConfig().getValue("downloader.consumer-group", String.class);
        TopicPartition partition = new TopicPartition(
                ConfigProvider.getConfig().getValue("downloader.topic.requests", String.class), 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                ConfigProvider.getConfig().getValue("kafka.bootstrap.servers", String.class)))) {
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get()
                    .offset();
            await().atMost(Duration.ofSeconds(10)).until(() -> admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get().get(partition).offset() == end);
        }
    }

    private static long offsetOf(JsonNode result) {
        String id = result.path("id").asText();
        return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
    }
}
