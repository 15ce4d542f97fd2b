package io.dlm.health;

import static org.junit.jupiter.api.Assertions.fail;

import io.dlm.tck.Prerequisites;
import io.dlm.tck.support.RedisServers;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the test's own on a free port of 127.0.0.1, keeping nothing on disk,
 * that the test stops (as a crash would, {@code SIGKILL}) and starts again on the same port. The
 * shared Redis on 6379 is never touched.
 */
final class RedisProcess implements AutoCloseable {

    private static final List<Path> BINARIES =
            List.of(Path.of("/usr/bin/redis-server"), Path.of("/usr/local/bin/redis-server"));

    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;

    private RedisProcess(Path binary, Path dir, int port) throws IOException {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.process = launch();
    }

    /**
     * Starts a server; without a {@code redis-server} binary, skips the test, or fails it in CI
     * ({@code CI=true}), where a skipped Redis test would hide a broken build machine.
     */
    static RedisProcess start(Path dir) throws IOException {
        Path binary = BINARIES.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (binary == null) {
            String reason = "no redis-server binary in " + BINARIES;
            throw Prerequisites.missing(reason);
        }
        return new RedisProcess(binary, dir, freePort());
    }

    /** Any port: nothing listens on it, as long as nobody started something there meanwhile. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server, as a crash would, and waits until it is gone. */
    void stop() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            fail("redis-server on port " + port + " did not die");
        }
    }

    /** Starts the server again on the same port, empty. */
    void restart() throws IOException {
        process = launch();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Process launch() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(RedisServers.volatileOptions(port, dir));
        ProcessBuilder server = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile());
        return RedisServers.start(server, this::answersPing, Duration.ofSeconds(10));
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int read = in.readNBytes(reply, 0, reply.length);
            return new String(reply, 0, read, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }
}
