package io.dlm.backend.etcd;

import io.dlm.tck.jvm.ProcessSignals;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One real etcd server process of a test: its ports, data directory and log, started and stopped
 * on demand. Timings are tuned for tests by default ({@link #TUNED_TIMINGS}: 50 ms heartbeats,
 * 500 ms elections), which also brings etcd's minimum lease TTL down to one second; a member given
 * no timing flags runs with etcd's own defaults, as a production server does.
 */
final class EtcdMember {

    /**
     * Fast heartbeats and elections, so that failover tests end quickly. They also lower etcd's
     * minimum lease TTL (1.5 election timeouts, in whole seconds up) from 2 s to 1 s, which hides a
     * backend that assumes 1 s: {@code EtcdStockTimingTest} runs without them for that reason.
     */
    static final List<String> TUNED_TIMINGS = List.of("--heartbeat-interval=50", "--election-timeout=500");

    private final String binary;
    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final Path dataDir;
    private final Path log;
    private final String advertisedPeerUrl;
    private final List<String> timings;
    private final List<String> extraFlags;
    private @Nullable Process process;

    EtcdMember(String binary, String name, int clientPort, int peerPort, Path dataDir, Path log) {
        this(binary, name, clientPort, peerPort, dataDir, log, null, TUNED_TIMINGS, List.of());
    }

    /**
     * A member whose peers may reach it through another address than the one it listens on.
     *
     * @param advertisedPeerUrl the peer URL the other members dial (a proxy in front of {@link
     *     #peerUrl()}), or {@code null} for the listening one
     * @param timings the heartbeat and election flags: {@link #TUNED_TIMINGS}, or none for etcd's
     *     defaults (100 ms heartbeats, 1 s elections, so a minimum lease TTL of 2 s)
     * @param extraFlags further command-line flags, e.g. {@code --pre-vote=true}
     */
    EtcdMember(
            String binary,
            String name,
            int clientPort,
            int peerPort,
            Path dataDir,
            Path log,
            @Nullable String advertisedPeerUrl,
            List<String> timings,
            List<String> extraFlags) {
        this.binary = binary;
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
        this.log = log;
        this.advertisedPeerUrl = advertisedPeerUrl == null ? peerUrl() : advertisedPeerUrl;
        this.timings = List.copyOf(timings);
        this.extraFlags = List.copyOf(extraFlags);
    }

    String name() {
        return name;
    }

    /** The client URL, e.g. {@code http://127.0.0.1:23790}. */
    String clientUrl() {
        return "http://127.0.0.1:" + clientPort;
    }

    /** The peer URL the member listens on. */
    String peerUrl() {
        return "http://127.0.0.1:" + peerPort;
    }

    /** The peer URL the other members dial: {@link #peerUrl()}, or a proxy in front of it. */
    String advertisedPeerUrl() {
        return advertisedPeerUrl;
    }

    /**
     * The process id of the running server.
     *
     * @return its pid
     * @throws IllegalStateException if it is not running
     */
    synchronized long pid() {
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException("etcd member " + name + " is not running");
        }
        return process.pid();
    }

    Path dataDir() {
        return dataDir;
    }

    /**
     * Starts the process; with an existing data directory it rejoins as the member it was.
     *
     * @param initialCluster {@code name=peerUrl,...} of every member
     * @param clusterToken unique per cluster, so that members of different tests never talk
     */
    synchronized void start(String initialCluster, String clusterToken) {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(
                binary,
                "--name=" + name,
                "--data-dir=" + dataDir,
                "--listen-client-urls=" + clientUrl(),
                "--advertise-client-urls=" + clientUrl(),
                "--listen-peer-urls=" + peerUrl(),
                "--initial-advertise-peer-urls=" + advertisedPeerUrl,
                "--initial-cluster=" + initialCluster,
                "--initial-cluster-token=" + clusterToken,
                "--initial-cluster-state=new",
                "--logger=zap",
                "--log-outputs=stderr",
                "--log-level=warn"));
        command.addAll(timings);
        command.addAll(extraFlags);
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + binary, e);
        }
    }

    /** Whether the process runs. */
    synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Whether the member answers {@code /health} with a healthy cluster behind it. */
    boolean isHealthy(HttpClient http) {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(clientUrl() + "/health"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the process as an operator would ({@code SIGTERM}), waiting for it to end. */
    void stop() {
        end(false);
    }

    /** Kills the process as a crash would ({@code SIGKILL}), waiting for it to end. */
    void kill() {
        end(true);
    }

    /**
     * Freezes the process ({@code SIGSTOP}): it keeps its sockets but answers nothing, like a
     * member stalled on a slow disk, until {@link #resume()}. Requests sent meanwhile are handled
     * once it resumes, after their clients gave up on them.
     */
    void pause() {
        signal(true);
    }

    /** Lets a {@linkplain #pause() frozen} process run again ({@code SIGCONT}). */
    void resume() {
        signal(false);
    }

    private void signal(boolean stop) {
        Process running;
        synchronized (this) {
            running = process;
        }
        if (running == null) {
            throw new IllegalStateException("etcd member " + this.name + " is not running");
        }
        try {
            if (stop) {
                ProcessSignals.stop(running.pid());
            } else {
                ProcessSignals.resume(running.pid());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void end(boolean forcibly) {
        Process running;
        synchronized (this) {
            running = process;
            process = null;
        }
        if (running == null) {
            return;
        }
        if (forcibly) {
            running.destroyForcibly();
        } else {
            running.destroy();
        }
        try {
            if (!running.waitFor(20, TimeUnit.SECONDS)) {
                running.destroyForcibly();
                running.waitFor(20, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.destroyForcibly();
        }
    }

    /** The last lines of the member's log, for failure messages. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
