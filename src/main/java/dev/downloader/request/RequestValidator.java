package dev.downloader.request;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import dev.downloader.DownloadFailure;
import dev.downloader.ErrorCode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Turns a request payload into a {@link DownloadRequest} or a {@link DownloadFailure} whose message tells a person
 * what to fix. Checks only what the payload itself says; what needs the network (DNS, the origin) comes later.
 */
@RegisterForReflection(fields = false)
public final class RequestValidator {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,199}");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");
    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
    private static final Map<String, Integer> CHECKSUM_HEX_LENGTHS = Map.of("SHA-256", 64, "SHA-1", 40, "MD5", 32);
    private static final int MAX_URL_LENGTH = 8192;
    private static final int MAX_MIRRORS = 16;
    private static final int MAX_TARGET_LENGTH = 1024;
    private static final int MAX_TARGET_SEGMENT_BYTES = 255;
    /** Top-level entries of the data directory that belong to the service, matched case-insensitively. */
    private static final Set<String> RESERVED_TARGET_ROOTS = Set.of("tmp", "meta", "kafka");

    private final ObjectReader reader;
    private final Path outputRoot;
    private final Limits limits;
    private final HeaderPolicy headerPolicy;
    private final AuthCheck authCheck;

    /** Whether a request may use a credential profile for its URL; throws a DownloadFailure if not. */
    @FunctionalInterface
    public interface AuthCheck {
        void requireUsable(String profile, URI url);
    }

    /** The bounds a request may ask for, from configuration. {@code maxSize} is null when unbounded. */
    public record Limits(long minChunkSize, long maxChunkSize, int maxConnections, Long maxSize, long maxRequestSize) {
    }

    public RequestValidator(ObjectMapper mapper, Path outputRoot, Limits limits, HeaderPolicy headerPolicy,
            AuthCheck authCheck) {
        // one JSON value and nothing after it, and no key twice: {"url": a, "url": b} means different things to
        // different parsers, so it is no request at all
        this.reader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.outputRoot = outputRoot.toAbsolutePath().normalize();
        this.limits = limits;
        this.headerPolicy = headerPolicy;
        this.authCheck = authCheck;
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
            if (!mirrorsNode.isArray() || mirrorsNode.size() > MAX_MIRRORS) {
                throw DownloadFailure.invalid("mirrors must be an array of at most " + MAX_MIRRORS + " URLs");
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
        JsonNode overwriteNode = json.get("overwrite");
        if (overwriteNode != null && !overwriteNode.isNull() && !overwriteNode.isBoolean()) {
            throw DownloadFailure.invalid("overwrite must be true or false");
        }
        boolean overwrite = overwriteNode != null && overwriteNode.asBoolean();
        String auth = optionalText(json, "auth");
        if (auth != null) {
            authCheck.requireUsable(auth, url);
        }
        return new DownloadRequest(id, url, List.copyOf(mirrors), target, checksum(json), size, headers(json), auth,
                chunkSize, connections == null ? null : connections.intValue(),
                priorityNode == null || priorityNode.isNull() ? 0 : priorityNode.asInt(), overwrite, json);
    }

    private JsonNode parse(byte[] payload) {
        if (payload != null && payload.length > limits.maxRequestSize()) {
            throw DownloadFailure.invalid("request is " + payload.length + " bytes, over downloader.max-request-size ("
                    + limits.maxRequestSize() + ")");
        }
        if (payload == null || payload.length == 0 || new String(payload, StandardCharsets.UTF_8).isBlank()) {
            throw DownloadFailure.invalid("request is empty; expected a JSON object with at least a url");
        }
        try {
            JsonNode json = reader.readTree(payload);
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
        if (text.length() > MAX_URL_LENGTH) {
            throw DownloadFailure.invalid(field + " is longer than " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(text.trim());
        } catch (URISyntaxException e) {
            // the reason and position only: the input itself may carry a password
            throw DownloadFailure.invalid(field + " is not a valid URL: " + e.getReason() + " at index " + e.getIndex());
        }
        if (!uri.isAbsolute()) {
            throw DownloadFailure.invalid(field + " must be an absolute http or https URL");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DownloadFailure(ErrorCode.UNSUPPORTED_SCHEME,
                    field + " scheme '" + uri.getScheme() + "' is not supported; use http or https");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw DownloadFailure.invalid(field + " has no valid host name (letters, digits, '-' and '.', or an IP"
                    + " address; international names in their xn-- form)");
        }
        if (uri.getRawUserInfo() != null) {
            throw DownloadFailure.invalid(field + " must not carry credentials (user-info); name an auth profile instead");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw DownloadFailure.invalid(field + " has a port out of range: " + uri.getPort());
        }
        return uri;
    }

    /**
     * A target is a normalised relative path: segments joined by '/', none empty, '.' or '..', no backslash, no
     * control or invisible format characters, outside the service's own entries (matched case-insensitively, as a
     * case-insensitive file system would). Symlinks are checked where the file is placed (FileFinisher).
     */
    private void checkTarget(String target) {
        if (target.isEmpty() || target.length() > MAX_TARGET_LENGTH) {
            throw notAllowed(target, "must be 1-" + MAX_TARGET_LENGTH + " characters");
        }
        if (target.startsWith("/") || target.indexOf('\\') >= 0 || DRIVE.matcher(target).matches()) {
            throw notAllowed(target, "must be a relative path with '/' separators");
        }
        if (target.codePoints().anyMatch(RequestValidator::isHidden)) {
            throw notAllowed(target, "contains control or invisible characters");
        }
        String[] segments = target.split("/", -1);
        for (String segment : segments) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw notAllowed(target, "must be a normalised relative path (no empty, '.' or '..' segments,"
                        + " no trailing '/')");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_TARGET_SEGMENT_BYTES) {
                throw notAllowed(target, "has a name longer than " + MAX_TARGET_SEGMENT_BYTES + " bytes");
            }
        }
        Path resolved;
        try {
            resolved = outputRoot.resolve(target).normalize();
        } catch (InvalidPathException e) {
            throw notAllowed(target, "is not a valid path: " + e.getReason());
        }
        if (!resolved.startsWith(outputRoot) || resolved.equals(outputRoot)) {
            throw notAllowed(target, "escapes the output directory");
        }
        String first = segments[0].toLowerCase(Locale.ROOT);
        if (RESERVED_TARGET_ROOTS.contains(first) || (segments.length == 1 && first.startsWith("downloads."))) {
            throw notAllowed(target, "points into the service's own files (tmp/, meta/, kafka/, the database)");
        }
    }

    private static DownloadFailure notAllowed(String target, String why) {
        String shown = target.length() > 200 ? target.substring(0, 200) + "..." : target;
        return new DownloadFailure(ErrorCode.TARGET_NOT_ALLOWED,
                "target '" + shown.replaceAll("\\p{Cc}|\\p{Cf}", "?") + "' " + why);
    }

    /** Controls, and format characters such as U+202E (right-to-left override) that make a name lie about itself. */
    private static boolean isHidden(int codePoint) {
        int type = Character.getType(codePoint);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.UNASSIGNED || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
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

    /** The request's headers, each passed by the header policy; values are kept as data, never interpreted. */
    private Map<String, String> headers(JsonNode json) {
        JsonNode node = json.get("headers");
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw DownloadFailure.invalid("headers must be an object of header names to string values");
        }
        if (node.size() > headerPolicy.maxHeaders()) {
            throw DownloadFailure.invalid("at most " + headerPolicy.maxHeaders() + " headers, got " + node.size());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            String value = field.getValue().isTextual() ? field.getValue().asText() : null;
            String refusal = headerPolicy.refusal(name, value);
            if (refusal != null) {
                throw DownloadFailure.invalid(refusal);
            }
            if (!seen.add(name.toLowerCase(Locale.ROOT))) {
                throw DownloadFailure.invalid("header '" + name + "' is given twice (names are case-insensitive)");
            }
            headers.put(name, value);
        }
        return Collections.unmodifiableMap(headers);
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
