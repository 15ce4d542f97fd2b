package io.dlm.backend.redis;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;

/**
 * A {@code redis-server} of a test's own, on a free port of 127.0.0.1 with its files in a directory
 * of the test, that the test may kill (as a crash would: {@code SIGKILL}) and start again on the
 * same port. Keeps nothing on disk unless the test passes persistence options. Also runs Sentinels
 * and Cluster nodes.
 */
final class PrivateRedisServer implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final List<String> args;
    private Process process;

    private PrivateRedisServer(Path dir, int port, List<String> args) {
        this.dir = dir;
        this.port = port;
        this.args = args;
    }

    /**
     * Starts a plain server, or skips (outside CI) or fails (in CI) the test when no
     * {@code redis-server} binary is installed.
     *
     * @param dir its working directory, created if missing
     * @param extraArgs more {@code --option value} pairs
     */
    static PrivateRedisServer start(Path dir, String... extraArgs) throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        List<String> args = new ArrayList<>(List.of(
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString(),
                "--logfile",
                dir.resolve("redis.log").toString()));
        args.addAll(List.of(extraArgs));
        PrivateRedisServer server = new PrivateRedisServer(dir, port, args);
        server.startProcess();
        return server;
    }

    /**
     * Starts a Sentinel that watches the primary {@code mymaster} and already knows its replica.
     *
     * @param dir its working directory, created if missing
     * @param primary the primary
     * @param replica the primary's replica
     */
    static PrivateRedisServer startSentinel(Path dir, PrivateRedisServer primary, PrivateRedisServer replica)
            throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        Path config = dir.resolve("sentinel.conf");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "port " + port,
                        "bind 127.0.0.1",
                        "dir " + dir,
                        "logfile " + dir.resolve("sentinel.log"),
                        "sentinel monitor mymaster 127.0.0.1 " + primary.port + " 1",
                        "sentinel down-after-milliseconds mymaster 2000",
                        "sentinel failover-timeout mymaster 10000",
                        "sentinel known-replica mymaster 127.0.0.1 " + replica.port,
                        ""),
                StandardCharsets.UTF_8);
        PrivateRedisServer sentinel = new PrivateRedisServer(dir, port, List.of(config.toString(), "--sentinel"));
        sentinel.startProcess();
        return sentinel;
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server at once, without saving anything, as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts the server again on the same port and directory. */
    void restart() throws IOException {
        startProcess();
    }

    private void startProcess() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(findBinary());
        command.addAll(args);
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .start();
        Awaitility.await()
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("redis-server exited with " + process.exitValue() + "; see " + dir);
                    }
                    return TestRedis.ping("127.0.0.1", port) == null;
                });
    }

    private static String findBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        String message = "No redis-server on the PATH: install Debian's redis-server package";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message);
        }
        Assumptions.abort(message);
        throw new AssertionError(message);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
