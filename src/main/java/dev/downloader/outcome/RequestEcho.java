package dev.downloader.outcome;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import dev.downloader.request.HeaderPolicy;

/**
 * The request as received, made fit to be echoed in a dead letter: URL user-info is replaced wherever it appears, and
 * the values of credential or service-owned headers are withheld. A refused request may carry exactly the secret it
 * was refused for; the echo must not hand it on.
 */
public final class RequestEcho {

    static final String REDACTED = "[redacted]";

    private RequestEcho() {
    }

    /** A redacted copy; the argument is not changed. */
    public static JsonNode of(JsonNode received) {
        JsonNode copy = received.deepCopy();
        if (copy instanceof ObjectNode object && object.get("headers") instanceof ObjectNode headers) {
            Iterator<Map.Entry<String, JsonNode>> fields = headers.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (HeaderPolicy.isSensitive(field.getKey())) {
                    field.setValue(TextNode.valueOf(REDACTED));
                }
            }
        }
        return scrub(copy);
    }

    /**
     * Text with every URL user-info ({@code ://user:password@}) replaced, also inside longer text and in URLs too
     * broken to parse. One pass from each {@code ://}: linear in the text, whatever it holds (a regular expression
     * here backtracked quadratically over a long run of letters).
     */
    public static String scrub(String text) {
        int marker = text.indexOf("://");
        if (marker < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        while (marker >= 0) {
            int authority = marker + 3;
            int end = authority;
            while (end < text.length() && !endsAuthority(text.charAt(end))) {
                end++;
            }
            if (end < text.length() && text.charAt(end) == '@') {
                out.append(text, copied, authority).append(REDACTED);
                copied = end;
            }
            marker = text.indexOf("://", end);
        }
        return out.append(text, copied, text.length()).toString();
    }

    private static boolean endsAuthority(char c) {
        return c == '/' || c == '?' || c == '#' || c == '@' || c == '"' || Character.isWhitespace(c);
    }

    private static JsonNode scrub(JsonNode node) {
        if (node instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                field.setValue(scrub(field.getValue()));
            }
            return object;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, scrub(array.get(i)));
            }
            return array;
        }
        return node.isTextual() ? TextNode.valueOf(scrub(node.asText())) : node;
    }
}
