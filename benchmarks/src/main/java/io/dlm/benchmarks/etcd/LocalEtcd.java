package io.dlm.benchmarks.etcd;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One etcd server for a benchmark trial, on free loopback ports, with its data in a temporary
 * directory under {@code java.io.tmpdir} (a real disk, so that writes pay for etcd's fsync as in
 * production; {@code -Ddlm.bench.etcd.dataDirBase=/dev/shm} takes that cost away).
 */
final class LocalEtcd implements AutoCloseable {

    private final Process process;
    private final Path root;
    private final int clientPort;

    private LocalEtcd(Process process, Path root, int clientPort) {
        this.process = process;
        this.root = root;
        this.clientPort = clientPort;
    }

    /**
     * Starts a single-member etcd and waits until it accepts connections.
     *
     * @return the running server
     */
    static LocalEtcd start() {
        try {
            String binary = System.getenv().getOrDefault("DLM_ETCD_BINARY", "etcd");
            Path base = Path.of(System.getProperty("dlm.bench.etcd.dataDirBase", System.getProperty("java.io.tmpdir")));
            Path root = Files.createTempDirectory(base, "dlm-bench-etcd-");
            int clientPort = freePort();
            int peerPort = freePort();
            String client = "http://127.0.0.1:" + clientPort;
            String peer = "http://127.0.0.1:" + peerPort;
            Process process = new ProcessBuilder(List.of(
                            binary,
                            "--name=bench",
                            "--data-dir=" + root.resolve("data"),
                            "--listen-client-urls=" + client,
                            "--advertise-client-urls=" + client,
                            "--listen-peer-urls=" + peer,
                            "--initial-advertise-peer-urls=" + peer,
                            "--initial-cluster=bench=" + peer,
                            "--logger=zap",
                            "--log-level=warn"))
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("etcd.log").toFile())
                    .start();
            LocalEtcd etcd = new LocalEtcd(process, root, clientPort);
            // A trial that fails skips its tear-down; the server must not outlive the forked JVM.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroy, "dlm-bench-etcd-stop"));
            etcd.awaitListening();
            return etcd;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start etcd for the benchmark", e);
        }
    }

    /** The client URL, as {@code dlm.etcd.endpoints} takes it. */
    String endpoint() {
        return "http://127.0.0.1:" + clientPort;
    }

    /**
     * The server's Prometheus metrics, as text.
     *
     * @return the body of {@code /metrics}
     */
    String metrics() {
        try (java.io.InputStream in =
                java.net.URI.create(endpoint() + "/metrics").toURL().openStream()) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read etcd's metrics", e);
        }
    }

    /** The server's process id, to read its CPU time from {@code /proc}. */
    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
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

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("etcd exited at start: " + Files.readString(root.resolve("etcd.log")));
            }
            try {
                new Socket(InetAddress.getLoopbackAddress(), clientPort).close();
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("etcd did not listen within 30 s", notYet);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting etcd", e);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
