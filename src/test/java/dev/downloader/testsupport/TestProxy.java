package dev.downloader.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real forwarding HTTP proxy on a loopback socket: absolute-form requests are forwarded to their origin (one
 * request per connection), CONNECT opens a tunnel. Records the request line of everything it was asked to carry.
 */
public final class TestProxy implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    /** Request lines in arrival order, e.g. {@code GET http://files.example:8080/a.bin HTTP/1.1}. */
    public final List<String> requestLines = new CopyOnWriteArrayList<>();

    public TestProxy(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress("127.0.0.1", port));
        executor.submit(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        executor.shutdownNow();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                executor.submit(() -> carry(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void carry(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            List<String> head = readHead(in);
            String requestLine = head.get(0);
            requestLines.add(requestLine);
            String[] parts = requestLine.split(" ");
            if (parts[0].equals("CONNECT")) {
                String[] hostPort = parts[1].split(":");
                try (Socket upstream = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
                    client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    pipe(client, upstream);
                }
                return;
            }
            URI target = URI.create(parts[1]);
            try (Socket upstream = new Socket(target.getHost(), target.getPort() < 0 ? 80 : target.getPort())) {
                StringBuilder forwarded = new StringBuilder(parts[0] + " " + target.getRawPath()
                        + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()) + " " + parts[2] + "\r\n");
                for (String line : head.subList(1, head.size())) {
                    String lower = line.toLowerCase();
                    if (!lower.startsWith("proxy-") && !lower.startsWith("connection:")) {
                        forwarded.append(line).append("\r\n");
                    }
                }
                // one request per connection: the origin closes after answering, and so does this tunnel
                forwarded.append("Connection: close\r\n\r\n");
                upstream.getOutputStream().write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
                pipe(client, upstream);
            }
        } catch (Exception e) {
            // a client or origin that went away
        }
    }

    private void pipe(Socket client, Socket upstream) throws Exception {
        var up = executor.submit(() -> copy(client.getInputStream(), upstream.getOutputStream()));
        copy(upstream.getInputStream(), client.getOutputStream());
        up.cancel(true);
    }

    private static Void copy(InputStream from, OutputStream to) throws IOException {
        byte[] buffer = new byte[16384];
        int n;
        try {
            while ((n = from.read(buffer)) >= 0) {
                to.write(buffer, 0, n);
                to.flush();
            }
        } catch (IOException closed) {
            // the other side is done
        }
        return null;
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new java.util.ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
                if (text.isEmpty()) {
                    break;
                }
                lines.add(text);
                line.reset();
            } else {
                line.write(b);
            }
        }
        return lines;
    }
}
