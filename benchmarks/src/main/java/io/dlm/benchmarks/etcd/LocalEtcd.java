package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.EngineProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * One etcd server for a benchmark trial, on free loopback ports, with its data in a temporary
 * directory under {@code java.io.tmpdir} (a real disk, so that writes pay for etcd's fsync as in
 * production; {@code -Ddlm.bench.etcd.dataDirBase=/dev/shm} takes that cost away).
 */
final class LocalEtcd implements AutoCloseable {

    private final EngineProcess server;

    private LocalEtcd(EngineProcess server) {
        this.server = server;
    }

    /**
     * Starts a single-member etcd and waits until it accepts connections.
     *
     * @return the running server
     */
    static LocalEtcd start() {
        String binary = System.getenv().getOrDefault("DLM_ETCD_BINARY", "etcd");
        Path base = Path.of(System.getProperty("dlm.bench.etcd.dataDirBase", System.getProperty("java.io.tmpdir")));
        int peerPort;
        try {
            peerPort = EngineProcess.freePort();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start etcd for the benchmark", e);
        }
        return new LocalEtcd(EngineProcess.start("etcd", base, at -> {
            String client = "http://127.0.0.1:" + at.port();
            String peer = "http://127.0.0.1:" + peerPort;
            return List.of(
                    binary,
                    "--name=bench",
                    "--data-dir=" + at.directory().resolve("data"),
                    "--listen-client-urls=" + client,
                    "--advertise-client-urls=" + client,
                    "--listen-peer-urls=" + peer,
                    "--initial-advertise-peer-urls=" + peer,
                    "--initial-cluster=bench=" + peer,
                    "--logger=zap",
                    "--log-level=warn");
        }));
    }

    /** The client URL, as {@code dlm.etcd.endpoints} takes it. */
    String endpoint() {
        return "http://127.0.0.1:" + server.port();
    }

    /**
     * The server's Prometheus metrics, as text.
     *
     * @return the body of {@code /metrics}
     */
    String metrics() {
        try (InputStream in = URI.create(endpoint() + "/metrics").toURL().openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read etcd's metrics", e);
        }
    }

    /** The server's process id, to read its CPU time from {@code /proc}. */
    long pid() {
        return server.pid();
    }

    @Override
    public void close() {
        server.close();
    }
}
