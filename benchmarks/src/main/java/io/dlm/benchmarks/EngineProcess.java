package io.dlm.benchmarks;

import io.dlm.tck.support.RedisServers;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * An engine server started for one trial as a process of its own (etcd, Redis, a ZooKeeper JVM),
 * listening on a free loopback port, with its files in a temporary directory that goes with it.
 * Its own process, so that its memory is apart from the client's heap and no other user's data is
 * in its figures, and so that its CPU time can be read apart from the client's.
 */
public final class EngineProcess implements AutoCloseable {

    private final Process process;
    private final Path root;
    private final int port;

    private EngineProcess(Process process, Path root, int port) {
        this.process = process;
        this.root = root;
        this.port = port;
    }

    /**
     * Starts a server with its directory under {@code java.io.tmpdir} and waits until it accepts
     * connections on its port.
     *
     * @param name for the directory and the errors
     * @param command the command line, given the directory and the port
     * @return the running server
     */
    public static EngineProcess start(String name, Function<Started, List<String>> command) {
        return start(name, Path.of(System.getProperty("java.io.tmpdir")), command);
    }

    /**
     * Starts a server with its directory under {@code base} and waits until it accepts connections
     * on its port.
     *
     * @param name for the directory and the errors
     * @param base where its temporary directory goes: a real disk, or {@code /dev/shm} to leave out
     *     the cost of syncing
     * @param command the command line, given the directory and the port
     * @return the running server
     */
    public static EngineProcess start(String name, Path base, Function<Started, List<String>> command) {
        try {
            Path root = Files.createTempDirectory(base, "dlm-bench-" + name + "-");
            int port = freePort();
            Process process = new ProcessBuilder(command.apply(new Started(root, port)))
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("server.log").toFile())
                    .start();
            EngineProcess server = new EngineProcess(process, root, port);
            // A trial that fails skips its tear-down; the server must not outlive the forked JVM.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "dlm-bench-" + name + "-stop"));
            server.awaitListening(name);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /**
     * Starts the {@code redis-server} on the {@code PATH}, keeping nothing on disk, with its
     * directory under {@code java.io.tmpdir}, and waits until it accepts connections on its port.
     *
     * @return the running server
     */
    public static EngineProcess redis() {
        return start("redis", at -> {
            List<String> command = new ArrayList<>();
            command.add("redis-server");
            command.addAll(RedisServers.volatileOptions(at.port(), at.directory()));
            return command;
        });
    }

    /**
     * Where a server is being started.
     *
     * @param directory its own temporary directory
     * @param port the free port it is to listen on
     */
    public record Started(Path directory, int port) {}

    /**
     * The port it listens on.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * Its process id, to read its memory and CPU time from {@code /proc}.
     *
     * @return the id
     */
    public long pid() {
        return process.pid();
    }

    /**
     * A second free port, for servers that listen on two.
     *
     * @return the port
     * @throws IOException if no port is free
     */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops the server, forcibly if it does not stop within 30 s, and deletes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening(String name) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException(name + " exited at start: " + Files.readString(root.resolve("server.log")));
            }
            try {
                new Socket(InetAddress.getLoopbackAddress(), port).close();
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException(name + " did not listen within 60 s", notYet);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting " + name, e);
            }
        }
    }
}
