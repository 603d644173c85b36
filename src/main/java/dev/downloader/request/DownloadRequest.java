package dev.downloader.request;

import java.net.URI;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A validated request (DESIGN §3). {@code received} is the request exactly as it arrived (echoed in dead letters only
 * through {@code RequestEcho}, which redacts it). Optional fields are null when absent. {@code headers} keep the
 * request's order and are sent to the origin as data.
 */
@RegisterForReflection
public record DownloadRequest(
        String id,
        URI url,
        List<URI> mirrors,
        String target,
        Checksum checksum,
        Long size,
        Map<String, String> headers,
        String auth,
        Long chunkSize,
        Integer connections,
        int priority,
        boolean overwrite,
        JsonNode received) {

    /** {@code algorithm} is the canonical name: SHA-256, SHA-1 or MD5; {@code value} is lower-case hex. */
    @RegisterForReflection
    public record Checksum(String algorithm, String value) {
    }

    public String checksumAlgorithm() {
        return checksum == null ? null : checksum.algorithm();
    }
}
