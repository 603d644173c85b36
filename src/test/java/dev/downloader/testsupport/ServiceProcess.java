package dev.downloader.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged service (target/quarkus-app/quarkus-run.jar) run as a user runs it: its own JVM, from the repository
 * root (where routes/ is), configured by system properties, its output in a log file. Killed for real.
 */
public final class ServiceProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ServiceProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * DESIGN §5b keys, as a user sets them: the broker, a data directory, and the loopback address of the test origin
     * allowed. Each scenario has its own requests topic and consumer group: a killed node stays in its group until
     * its session times out, and holds up the group's next rebalance until then.
     */
    public static Map<String, String> config(String bootstrap, Path dataDir, String scenario) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("kafka.bootstrap.servers", bootstrap);
        config.put("downloader.data-dir", dataDir.toString());
        config.put("downloader.topic.requests", "requests-" + scenario);
        config.put("downloader.consumer-group", "group-" + scenario);
        config.put("downloader.origin.allowed-private-networks", "127.0.0.1/32");
        config.put("quarkus.http.port", "0");
        return config;
    }

    public static ServiceProcess start(Map<String, String> config, Path log) throws IOException {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
        Path jar = root.resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after `mvn package`");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        config.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(jar.toString());
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        return new ServiceProcess(process, log);
    }

    public long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no last write; whatever is on disk and in the database is all that is left. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as a container runtime stops a container; returns the exit code once the process has gone. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the service did not stop within 60 s of SIGTERM; see " + log);
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** The HTTP status of GET {@code path} on the service's own port, once it has started (waits up to 60 s). */
    public int httpStatus(String path) throws IOException, InterruptedException {
        return httpStatus("GET", path);
    }

    /** The HTTP status of {@code method path} on the service's own port, once it has started (waits up to 60 s). */
    public int httpStatus(String method, String path) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String port;
        while ((port = listeningPort()) == null) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException("the service did not start listening; see " + log);
            }
            Thread.sleep(200);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String listeningPort() throws IOException {
        return log().lines().filter(line -> line.contains("Listening on: http://")).findFirst()
                .map(line -> line.substring(line.lastIndexOf(':') + 1).trim()).orElse(null);
    }

    /** The lines logged at ERROR: empty when every failure was an expected one. */
    public List<String> errorLines() throws IOException {
        return log().lines().filter(line -> line.contains(" ERROR [")).toList();
    }

    /** Stops it as a user would (SIGTERM), so it leaves its consumer group at once. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            terminate();
        }
    }
}
