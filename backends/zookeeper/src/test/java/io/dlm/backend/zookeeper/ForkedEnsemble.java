package io.dlm.backend.zookeeper;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A ZooKeeper ensemble whose members are real server JVMs ({@code QuorumPeerMain}) forked from the
 * test, so that one of them can run with an environment of its own: libfaketime preloaded, for a
 * member whose wall clock is wrong (SPEC N6). In-process servers ({@code TestingCluster}) share the
 * test JVM's clock and cannot do that. A member is killed with {@code SIGKILL}, as a crash would.
 *
 * <p>Each member writes its output to {@code member-<id>.log} in the ensemble's directory.
 */
final class ForkedEnsemble implements AutoCloseable {

    /**
     * Short ticks: elections take a few hundred milliseconds; sessions may be 0.5 s to 15 s (the
     * maximum is raised from 20 ticks, so that a client can keep its session through a failover).
     */
    static final int TICK_MILLIS = 250;

    private final Path dir;
    private final int size;
    private final int[] clientPorts;
    private final int[] quorumPorts;
    private final int[] electionPorts;
    private final Map<Integer, Process> running = new HashMap<>();

    ForkedEnsemble(Path dir, int size) throws IOException {
        this.dir = dir;
        this.size = size;
        int[] ports = freePorts(3 * size);
        this.clientPorts = Arrays.copyOfRange(ports, 0, size);
        this.quorumPorts = Arrays.copyOfRange(ports, size, 2 * size);
        this.electionPorts = Arrays.copyOfRange(ports, 2 * size, 3 * size);
        for (int id = 1; id <= size; id++) {
            Path data = dir.resolve("member-" + id);
            deleteRecursively(data);
            Files.createDirectories(data);
            Files.writeString(data.resolve("myid"), Integer.toString(id), StandardCharsets.US_ASCII);
            Files.writeString(dir.resolve("member-" + id + ".cfg"), config(id, data), StandardCharsets.US_ASCII);
        }
    }

    private String config(int id, Path data) {
        StringBuilder text = new StringBuilder()
                .append("tickTime=")
                .append(TICK_MILLIS)
                .append('\n')
                .append("initLimit=20\nsyncLimit=10\nmaxSessionTimeout=15000\n")
                .append("dataDir=")
                .append(data)
                .append('\n')
                .append("clientPort=")
                .append(clientPorts[id - 1])
                .append('\n')
                .append("clientPortAddress=127.0.0.1\n")
                .append("4lw.commands.whitelist=*\n")
                .append("admin.enableServer=false\n");
        for (int other = 1; other <= size; other++) {
            text.append("server.")
                    .append(other)
                    .append("=127.0.0.1:")
                    .append(quorumPorts[other - 1])
                    .append(':')
                    .append(electionPorts[other - 1])
                    .append('\n');
        }
        return text.toString();
    }

    /**
     * Starts a member in a JVM of its own.
     *
     * @param id the member's id, from 1
     * @param environment variables to add, e.g. a {@code FakeClock}'s
     * @throws IOException if the JVM cannot be started
     */
    void start(int id, Map<String, String> environment) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx96m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-XX:+UseSerialGC");
        command.add("-Dzookeeper.forceSync=no");
        command.add("-Dzookeeper.admin.enableServer=false");
        // A member that starts alone backs off between election rounds up to a minute by default.
        command.add("-Dzookeeper.fastleader.maxNotificationInterval=500");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("org.apache.zookeeper.server.quorum.QuorumPeerMain");
        command.add(dir.resolve("member-" + id + ".cfg").toString());
        Files.writeString(
                dir.resolve("member-" + id + ".log"),
                "started with " + environment + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("member-" + id + ".log").toFile()));
        builder.environment().putAll(environment);
        running.put(id, builder.start());
    }

    /**
     * Kills a member with {@code SIGKILL} and waits until it is gone.
     *
     * @param id the member's id
     * @throws InterruptedException if the test thread is interrupted
     */
    void kill(int id) throws InterruptedException {
        Process process = running.remove(id);
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The member's role, by the four-letter word {@code srvr}.
     *
     * @param id the member's id
     * @return {@code leader}, {@code follower}, or empty while it serves nobody
     */
    Optional<String> mode(int id) {
        try {
            String answer = TestZooKeeper.fourLetterWord(clientPorts[id - 1], "srvr");
            return answer.lines()
                    .filter(line -> line.startsWith("Mode: "))
                    .map(line -> line.substring("Mode: ".length()).trim())
                    .findFirst();
        } catch (RuntimeException notServing) {
            return Optional.empty();
        }
    }

    /**
     * Waits until one of the running members leads and every other running member follows.
     *
     * @param timeout how long to wait
     * @return the leader's id
     */
    int awaitLeader(Duration timeout) {
        Awaitility.await("a leader among members " + running.keySet() + " (logs in " + dir + ")")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    long leaders = running.keySet().stream()
                            .filter(id -> mode(id).filter("leader"::equals).isPresent())
                            .count();
                    long followers = running.keySet().stream()
                            .filter(id -> mode(id).filter("follower"::equals).isPresent())
                            .count();
                    return leaders == 1 && leaders + followers == running.size();
                });
        return running.keySet().stream()
                .filter(id -> mode(id).filter("leader"::equals).isPresent())
                .findFirst()
                .orElseThrow();
    }

    /**
     * The connect string of every member, running or not.
     *
     * @return {@code host:port,...}
     */
    String connectString() {
        StringJoiner joined = new StringJoiner(",");
        IntStream.range(0, size).forEach(i -> joined.add("127.0.0.1:" + clientPorts[i]));
        return joined.toString();
    }

    @Override
    public void close() {
        for (Process process : List.copyOf(running.values())) {
            process.destroyForcibly();
        }
        for (Process process : List.copyOf(running.values())) {
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        running.clear();
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (Files.exists(path)) {
            try (Stream<Path> all = Files.walk(path)) {
                for (Path each : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(each);
                }
            }
        }
    }

    private static int[] freePorts(int count) throws IOException {
        int[] ports = new int[count];
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                held.add(socket);
                ports[i] = socket.getLocalPort();
            }
        } finally {
            for (ServerSocket socket : held) {
                socket.close();
            }
        }
        return ports;
    }
}
