package dev.downloader.request;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.downloader.DownloadFailure;
import dev.downloader.ErrorCode;

/**
 * Turns a request payload into a {@link DownloadRequest} or a {@link DownloadFailure} whose message tells a person
 * what to fix. Checks only what the payload itself says; what needs the network (DNS, the origin) comes later.
 */
public final class RequestValidator {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Map<String, Integer> CHECKSUM_HEX_LENGTHS = Map.of("SHA-256", 64, "SHA-1", 40, "MD5", 32);
    /** Headers the service sets itself: a request may not override them. */
    private static final Set<String> RESERVED_HEADERS = Set.of("range", "if-range", "host", "content-length",
            "accept-encoding", "connection", "transfer-encoding");
    /** Top-level entries of the data directory that belong to the service, not to downloaded files. */
    private static final Set<String> RESERVED_TARGET_ROOTS = Set.of("tmp", "meta", "kafka");

    private final ObjectMapper mapper;
    private final Path outputRoot;
    private final Limits limits;

    /** The bounds a request may ask for, from configuration. {@code maxSize} is null when unbounded. */
    public record Limits(long minChunkSize, long maxChunkSize, int maxConnections, Long maxSize) {
    }

    public RequestValidator(ObjectMapper mapper, Path outputRoot, Limits limits) {
        this.mapper = mapper;
        this.outputRoot = outputRoot.toAbsolutePath().normalize();
        this.limits = limits;
    }

    /** Parses and validates; {@code derivedId} is used when the request carries no id. */
    public DownloadRequest validate(byte[] payload, String derivedId) {
        JsonNode json = parse(payload);
        if (!json.isObject()) {
            throw DownloadFailure.invalid("request must be a JSON object, got " + json.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        String id = optionalText(json, "id");
        if (id == null) {
            id = derivedId;
        } else if (!ID.matcher(id).matches()) {
            throw DownloadFailure.invalid("id must be 1-200 characters of letters, digits, '.', '_' or '-', starting with"
                    + " a letter or digit (it names files on disk)");
        }
        String urlText = optionalText(json, "url");
        if (urlText == null || urlText.isBlank()) {
            throw DownloadFailure.invalid("url is required");
        }
        URI url = url(urlText, "url");
        List<URI> mirrors = new ArrayList<>();
        JsonNode mirrorsNode = json.get("mirrors");
        if (mirrorsNode != null && !mirrorsNode.isNull()) {
            if (!mirrorsNode.isArray()) {
                throw DownloadFailure.invalid("mirrors must be an array of URLs");
            }
            for (JsonNode mirror : mirrorsNode) {
                if (!mirror.isTextual()) {
                    throw DownloadFailure.invalid("mirrors must be an array of URLs");
                }
                mirrors.add(url(mirror.asText(), "mirror"));
            }
        }
        String target = optionalText(json, "target");
        if (target != null) {
            checkTarget(target);
        }
        Long size = optionalPositiveLong(json, "size");
        if (size != null && limits.maxSize() != null && size > limits.maxSize()) {
            throw new DownloadFailure(ErrorCode.TOO_LARGE,
                    "size " + size + " exceeds the configured maximum of " + limits.maxSize() + " bytes");
        }
        Long chunkSize = optionalPositiveLong(json, "chunkSize");
        if (chunkSize != null && (chunkSize < limits.minChunkSize() || chunkSize > limits.maxChunkSize())) {
            throw DownloadFailure.invalid("chunkSize must be between " + limits.minChunkSize() + " and "
                    + limits.maxChunkSize() + " bytes, got " + chunkSize);
        }
        Long connections = optionalPositiveLong(json, "connections");
        if (connections != null && connections > limits.maxConnections()) {
            throw DownloadFailure.invalid("connections must be between 1 and " + limits.maxConnections() + ", got "
                    + connections);
        }
        JsonNode priorityNode = json.get("priority");
        if (priorityNode != null && !priorityNode.isNull() && !priorityNode.canConvertToInt()) {
            throw DownloadFailure.invalid("priority must be an integer");
        }
        String auth = optionalText(json, "auth");
        if (auth != null) {
            // credential profiles are not configurable yet: refusing beats downloading without the credentials asked for
            throw DownloadFailure.invalid("auth profile '" + auth + "' is not configured");
        }
        return new DownloadRequest(id, url, List.copyOf(mirrors), target, checksum(json), size, headers(json), null,
                chunkSize, connections == null ? null : connections.intValue(),
                priorityNode == null || priorityNode.isNull() ? 0 : priorityNode.asInt(), json);
    }

    private JsonNode parse(byte[] payload) {
        if (payload == null || payload.length == 0 || new String(payload, StandardCharsets.UTF_8).isBlank()) {
            throw DownloadFailure.invalid("request is empty; expected a JSON object with at least a url");
        }
        try {
            JsonNode json = mapper.readTree(payload);
            if (json == null || json.isMissingNode()) {
                throw DownloadFailure.invalid("request is empty; expected a JSON object with at least a url");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw DownloadFailure.invalid("request is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw DownloadFailure.invalid("request could not be read: " + e.getMessage());
        }
    }

    private static URI url(String text, String field) {
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            throw DownloadFailure.invalid(field + " is not a valid URL: " + e.getMessage());
        }
        if (!uri.isAbsolute()) {
            throw DownloadFailure.invalid(field + " must be an absolute URL, got '" + text + "'");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DownloadFailure(ErrorCode.UNSUPPORTED_SCHEME,
                    field + " scheme '" + uri.getScheme() + "' is not supported; use http or https");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw DownloadFailure.invalid(field + " has no host: '" + text + "'");
        }
        if (uri.getUserInfo() != null) {
            throw DownloadFailure.invalid(field + " must not carry credentials; name an auth profile instead");
        }
        return uri;
    }

    private void checkTarget(String target) {
        Path resolved;
        try {
            Path relative = Path.of(target);
            if (relative.isAbsolute() || target.startsWith("/") || target.startsWith("\\")) {
                throw new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED,
                        "target must be a path relative to the output directory, got '" + target + "'");
            }
            resolved = outputRoot.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            throw new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED, "target is not a valid path: " + e.getMessage());
        }
        if (!resolved.startsWith(outputRoot) || resolved.equals(outputRoot)) {
            throw new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED,
                    "target '" + target + "' escapes the output directory");
        }
        Path inside = outputRoot.relativize(resolved);
        String first = inside.getName(0).toString();
        if (RESERVED_TARGET_ROOTS.contains(first) || (inside.getNameCount() == 1 && first.startsWith("downloads."))) {
            throw new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED,
                    "target '" + target + "' points into the service's own files (tmp/, meta/, the database)");
        }
        if (target.endsWith("/")) {
            throw DownloadFailure.invalid("target must name a file, not a directory: '" + target + "'");
        }
    }

    private static DownloadRequest.Checksum checksum(JsonNode json) {
        JsonNode node = json.get("checksum");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw DownloadFailure.invalid("checksum must be an object with algorithm and value");
        }
        String algorithm = optionalText(node, "algorithm");
        String value = optionalText(node, "value");
        if (algorithm == null || value == null) {
            throw DownloadFailure.invalid("checksum needs both algorithm and value");
        }
        String canonical = canonicalAlgorithm(algorithm);
        if (canonical == null) {
            throw DownloadFailure.invalid("checksum algorithm '" + algorithm + "' is not supported; use SHA-256, SHA-1 or MD5");
        }
        int hexLength = CHECKSUM_HEX_LENGTHS.get(canonical);
        if (value.length() != hexLength || !HEX.matcher(value).matches()) {
            throw DownloadFailure.invalid("checksum value for " + canonical + " must be " + hexLength + " hex digits");
        }
        return new DownloadRequest.Checksum(canonical, value.toLowerCase(Locale.ROOT));
    }

    private static String canonicalAlgorithm(String algorithm) {
        return switch (algorithm.toUpperCase(Locale.ROOT).replace("-", "").replace("_", "")) {
            case "SHA256" -> "SHA-256";
            case "SHA1" -> "SHA-1";
            case "MD5" -> "MD5";
            default -> null;
        };
    }

    private static Map<String, String> headers(JsonNode json) {
        JsonNode node = json.get("headers");
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw DownloadFailure.invalid("headers must be an object of header names to string values");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw DownloadFailure.invalid("header name '" + name + "' is not a valid HTTP header name");
            }
            if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                throw DownloadFailure.invalid("header '" + name + "' is set by the service and cannot be overridden");
            }
            if (!field.getValue().isTextual() || field.getValue().asText().matches("(?s).*[\r\n].*")) {
                throw DownloadFailure.invalid("header '" + name + "' must have a single-line string value");
            }
            headers.put(name, field.getValue().asText());
        }
        return Map.copyOf(headers);
    }

    private static String optionalText(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw DownloadFailure.invalid(field + " must be a string");
        }
        return node.asText();
    }

    private static Long optionalPositiveLong(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() <= 0) {
            throw DownloadFailure.invalid(field + " must be a positive integer, got " + node);
        }
        return node.asLong();
    }
}
