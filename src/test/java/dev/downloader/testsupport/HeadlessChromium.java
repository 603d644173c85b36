package dev.downloader.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Assumptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A real Chromium (Debian's {@code chromium}), headless, driven over the DevTools protocol from the JDK's own
 * WebSocket client: a test evaluates JavaScript in the page, clicks what a user clicks, and takes screenshots. Where
 * Chromium is missing it is installed with apt-get when the tests run as root; otherwise the test is skipped, saying
 * why.
 */
public final class HeadlessChromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** Opens {@code url} in a fresh headless Chromium with a window of the given size. */
    public static HeadlessChromium open(String url, int width, int height) throws Exception {
        String binary = binary();
        Path profile = Files.createTempDirectory("chromium-profile");
        Process process = new ProcessBuilder(binary, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--no-first-run", "--user-data-dir=" + profile,
                "--remote-debugging-port=0", "--window-size=" + width + "," + height, url)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int port = devToolsPort(process);
        HttpClient http = HttpClient.newHttpClient();
        String pageSocket = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (pageSocket == null && System.nanoTime() < deadline) {
            JsonNode targets = JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode target : targets) {
                if (target.path("type").asText().equals("page")) {
                    pageSocket = target.path("webSocketDebuggerUrl").asText();
                }
            }
            if (pageSocket == null) {
                Thread.sleep(100);
            }
        }
        if (pageSocket == null) {
            process.destroyForcibly();
            throw new IllegalStateException("Chromium opened no page");
        }
        HeadlessChromium[] self = new HeadlessChromium[1];
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(pageSocket), new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    self[0].received(message.toString());
                    message.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        self[0] = new HeadlessChromium(process, profile, socket);
        return self[0];
    }

    /** The value of a JavaScript expression in the page (promises awaited), as JSON. */
    public JsonNode evaluate(String expression) throws Exception {
        ObjectNode params = JSON.createObjectNode().put("expression", expression).put("returnByValue", true)
                .put("awaitPromise", true);
        JsonNode result = call("Runtime.evaluate", params);
        if (result.has("exceptionDetails")) {
            throw new IllegalStateException("the page threw: " + result.path("exceptionDetails"));
        }
        return result.path("result").path("value");
    }

    /** A PNG of the page as it is shown now. */
    public void screenshot(Path file) throws Exception {
        JsonNode shot = call("Page.captureScreenshot", JSON.createObjectNode().put("format", "png"));
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(shot.path("data").asText()));
    }

    private JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(JSON.createObjectNode().put("id", id).put("method", method).set("params", params).toString(),
                true).get(10, TimeUnit.SECONDS);
        JsonNode response = answer.get(30, TimeUnit.SECONDS);
        if (response.has("error")) {
            throw new IllegalStateException(method + " failed: " + response.path("error"));
        }
        return response.path("result");
    }

    private void received(String text) {
        try {
            JsonNode message = JSON.readTree(text);
            CompletableFuture<JsonNode> answer = message.has("id") ? pending.remove(message.path("id").asInt()) : null;
            if (answer != null) {
                answer.complete(message);
            }
        } catch (IOException e) {
            throw new IllegalStateException("DevTools sent something that is not JSON: " + text, e);
        }
    }

    /**
     * Stops Chromium and removes its profile. Its helpers (network service, renderer) are processes of their own that
     * write into the profile: killing only the browser left them writing there while it was removed (a file vanished
     * under the walk, in CI). They are killed first, while they are still the browser's descendants, and waited for.
     */
    @Override
    public void close() throws IOException {
        socket.abort();
        List<ProcessHandle> helpers = process.descendants().toList();
        helpers.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle helper : helpers) {
                helper.onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a helper still running: what it leaves is removed as far as it can be below
        }
        Files.walkFileTree(profile, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                try {
                    Files.deleteIfExists(dir);
                } catch (DirectoryNotEmptyException stillWritten) {
                    // a helper that outlived the wait wrote into it: a temporary directory left behind, not a failure
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Chromium prints its DevTools address on stderr once it listens. */
    private static int devToolsPort(Process process) throws IOException {
        BufferedReader errors = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = errors.readLine()) != null) {
            int at = line.indexOf("DevTools listening on ws://");
            if (at >= 0) {
                String address = line.substring(at + "DevTools listening on ws://".length());
                String port = address.substring(address.indexOf(':') + 1, address.indexOf('/'));
                // keep draining stderr, or Chromium blocks once the pipe is full
                Thread drain = new Thread(() -> {
                    try {
                        errors.transferTo(Writer.nullWriter());
                    } catch (IOException ignored) {
                        // the process has gone
                    }
                }, "chromium-stderr");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(port);
            }
        }
        throw new IllegalStateException("Chromium exited before it listened for DevTools");
    }

    /** Debian's chromium: found on the PATH, or installed now when the tests run as root. */
    private static synchronized String binary() throws Exception {
        for (String candidate : new String[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root && Files.isExecutable(Path.of("/usr/bin/apt-get")),
                "headless Chromium is needed: apt-get install chromium (the test installs it itself when run as root)");
        for (String[] command : new String[][] { { "apt-get", "install", "-y", "-qq", "chromium" },
                { "sh", "-c", "apt-get update -qq && apt-get install -y -qq chromium" } }) {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process install = builder.start();
            install.getOutputStream().close();
            if (install.waitFor(10, TimeUnit.MINUTES) && install.exitValue() == 0
                    && Files.isExecutable(Path.of("/usr/bin/chromium"))) {
                return "/usr/bin/chromium";
            }
        }
        throw new IllegalStateException("apt-get could not install chromium");
    }
}
