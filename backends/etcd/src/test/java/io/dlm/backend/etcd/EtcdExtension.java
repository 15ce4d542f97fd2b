package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.Prerequisites;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts real etcd servers for a test class and stops them afterwards: one member, or a cluster of
 * several, on free loopback ports with temporary data directories that are deleted at the end. No
 * mocks and no containers: the {@code etcd} binary of the machine ({@code DLM_ETCD_BINARY} or the
 * {@code PATH}; {@code scripts/services.sh} installs it).
 *
 * <p>Without the binary the tests are skipped with a message, except in CI ({@code CI=true}),
 * where they fail: a CI run must never pass without having talked to etcd.
 *
 * <pre>{@code
 * @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(1);
 * ... ETCD.endpoints() ...
 * }</pre>
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final int size;
    private final boolean peerProxies;
    private final List<String> timings;
    private @Nullable PeerLinks peerLinks;
    private final List<EtcdMember> members = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String initialCluster = "";
    private String token = "";
    private Path root = Path.of(".");
    private @Nullable String owner;

    private EtcdExtension(int size, boolean peerProxies, List<String> timings) {
        this.size = size;
        this.peerProxies = peerProxies;
        this.timings = timings;
    }

    /**
     * An extension that runs a cluster of {@code size} members for the test class.
     *
     * @param size 1 for a single server, 3 for a cluster that survives one failure
     * @return the extension
     */
    public static EtcdExtension members(int size) {
        return new EtcdExtension(size, false, EtcdMember.TUNED_TIMINGS);
    }

    /**
     * An extension whose members run with etcd's default heartbeat interval and election timeout
     * (100 ms, 1 s), as a production server does, rather than the tests' faster ones: their
     * minimum lease TTL is 2 s, not 1 s.
     *
     * @param size members
     * @return the extension
     */
    public static EtcdExtension membersWithStockTimings(int size) {
        return new EtcdExtension(size, false, List.of());
    }

    /**
     * A cluster whose members reach each other only through a {@link io.dlm.tck.fault.FaultProxy}
     * per member ({@link PeerLinks}), so that a test can {@linkplain #isolate isolate} one member
     * from the quorum while its client port still answers. Its members run with {@code
     * --pre-vote=true} (etcd 3.5's default): an isolated member then rejoins without forcing an
     * election, as a production cluster would.
     *
     * @param size members, 3 for a cluster that keeps a quorum without one of them
     * @return the extension
     */
    public static EtcdExtension membersWithPeerProxies(int size) {
        return new EtcdExtension(size, true, EtcdMember.TUNED_TIMINGS);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        // Nested test classes inherit the extension; the servers belong to the outermost class.
        if (owner != null) {
            return;
        }
        owner = context.getUniqueId();
        String binary = findBinary();
        root = Files.createTempDirectory(dataDirBase(), "dlm-etcd-");
        token = "dlm-test-" + UUID.randomUUID();
        List<int[]> ports = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            ports.add(new int[] {freePort(), freePort()});
        }
        if (peerProxies) {
            Map<String, Integer> peerPorts = new LinkedHashMap<>();
            for (int i = 0; i < size; i++) {
                peerPorts.put("m" + i, ports.get(i)[1]);
            }
            peerLinks = PeerLinks.start(peerPorts);
        }
        for (int i = 0; i < size; i++) {
            String name = "m" + i;
            members.add(new EtcdMember(
                    binary,
                    name,
                    ports.get(i)[0],
                    ports.get(i)[1],
                    root.resolve(name + ".data"),
                    root.resolve(name + ".log"),
                    peerLinks == null ? null : peerLinks.advertisedUrl(name),
                    timings,
                    peerLinks == null ? List.of() : List.of("--pre-vote=true")));
        }
        initialCluster = members.stream()
                .map(member -> member.name() + "=" + member.advertisedPeerUrl())
                .collect(Collectors.joining(","));
        members.forEach(this::start);
        awaitHealthy();
        for (EtcdMember member : members) {
            assertThat(member.isRunning())
                    .as("etcd member %s exited; its log:%n%s", member.name(), member.logTail())
                    .isTrue();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (!context.getUniqueId().equals(owner)) {
            return;
        }
        owner = null;
        members.forEach(EtcdMember::kill);
        members.clear();
        if (peerLinks != null) {
            peerLinks.close();
            peerLinks = null;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }

    /**
     * The client URLs of all members.
     *
     * @return them as {@code dlm.etcd.endpoints} takes them
     */
    public String endpoints() {
        return members.stream().map(EtcdMember::clientUrl).collect(Collectors.joining(","));
    }

    /**
     * A namespace that no other test, test class or rerun shares.
     *
     * @param name what its keys are for, e.g. {@code "undo"}
     * @return {@code /dlm-test/<name>-<random UUID>/}
     */
    public static String freshNamespace(String name) {
        return "/dlm-test/" + name + "-" + UUID.randomUUID() + "/";
    }

    /**
     * The settings of a manager on these members, in {@code namespace}.
     *
     * @param namespace the {@code dlm.etcd.namespace}
     * @param keysAndValues more settings, each key followed by its value
     * @return the {@code dlm.*} settings, a map the caller may add to
     */
    public Map<String, String> settings(String namespace, String... keysAndValues) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.etcd.endpoints", endpoints());
        settings.put("dlm.etcd.namespace", namespace);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            settings.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return settings;
    }

    /**
     * Opens a manager on these members, by the backend's name as users do.
     *
     * @param namespace the {@code dlm.etcd.namespace}
     * @param keysAndValues more settings, each key followed by its value
     * @return the manager, which the caller closes
     */
    public LockManager open(String namespace, String... keysAndValues) {
        return LockManagers.open("etcd", settings(namespace, keysAndValues));
    }

    /** The members, in start order. */
    List<EtcdMember> members() {
        return members;
    }

    /**
     * Cuts a member off from the quorum: its peer links are silenced both ways, its client port
     * still answers (N1, N4). Only for {@link #membersWithPeerProxies}.
     *
     * @param member the member to isolate
     */
    void isolate(EtcdMember member) {
        requirePeerLinks().isolate(member);
    }

    /**
     * Ends {@link #isolate}: the member's peer connections are reset and redialled.
     *
     * @param member the isolated member
     */
    void heal(EtcdMember member) {
        requirePeerLinks().heal(member);
    }

    /**
     * The member that reports being the leader on its {@code /metrics} page.
     *
     * @return the leader
     * @throws AssertionError if none does
     */
    EtcdMember leader() {
        for (EtcdMember member : members) {
            if (member.isRunning() && metric(member, "etcd_server_is_leader", "") == 1.0) {
                return member;
            }
        }
        throw new AssertionError("no member reports being the leader");
    }

    /**
     * Whether a member answers {@code /health} with a leader behind it.
     *
     * @param member the member to ask
     * @return {@code true} when it is healthy
     */
    boolean isHealthy(EtcdMember member) {
        return member.isHealthy(http);
    }

    private PeerLinks requirePeerLinks() {
        if (peerLinks == null) {
            throw new IllegalStateException("isolation needs EtcdExtension.membersWithPeerProxies");
        }
        return peerLinks;
    }

    /** Starts a member that was stopped or killed; it rejoins with its data. */
    void start(EtcdMember member) {
        member.start(initialCluster, token);
    }

    /**
     * Waits until every running member answers {@code /health} with a healthy cluster; members
     * that a test stopped are skipped, members that died fail the wait with their log.
     */
    void awaitHealthy() {
        for (EtcdMember member : members) {
            if (!member.isRunning()) {
                continue;
            }
            try {
                Awaitility.await("etcd member " + member.name() + " healthy")
                        .atMost(START_TIMEOUT)
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            if (!member.isRunning()) {
                                throw new IllegalStateException(
                                        "etcd member " + member.name() + " exited; its log:\n" + member.logTail());
                            }
                            return member.isHealthy(http);
                        });
            } catch (ConditionTimeoutException e) {
                throw new IllegalStateException(
                        "etcd member " + member.name() + " did not become healthy within " + START_TIMEOUT
                                + "; its log:\n" + member.logTail(),
                        e);
            }
        }
    }

    /**
     * The value of a gauge or counter on a member's {@code /metrics} page, summed over its labels.
     *
     * @param member the member to ask
     * @param metric the metric name, e.g. {@code etcd_debugging_mvcc_watcher_total}
     * @param labels text the sample's labels must contain, e.g. {@code grpc_method="Txn"}; empty
     *     for all samples
     * @return the value
     */
    double metric(EtcdMember member, String metric, String labels) {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(member.clientUrl() + "/metrics"))
                            .timeout(Duration.ofSeconds(5))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body()
                    .lines()
                    .filter(line -> line.startsWith(metric + " ") || line.startsWith(metric + "{"))
                    .filter(line -> line.contains(labels))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String findBinary() {
        String configured = System.getenv("DLM_ETCD_BINARY");
        Optional<Path> found = configured != null && !configured.isBlank()
                ? Optional.of(Path.of(configured)).filter(Files::isExecutable)
                : Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                        .map(dir -> Path.of(dir, "etcd"))
                        .filter(Files::isExecutable)
                        .findFirst();
        if (found.isPresent()) {
            return found.get().toString();
        }
        String message = "No etcd binary (set DLM_ETCD_BINARY or put etcd on the PATH;"
                + " scripts/services.sh etcd installs Debian's etcd-server)";
        throw Prerequisites.missing(message);
    }

    /** A RAM disk when there is one: etcd syncs its log on every write, which tests need not pay. */
    private static Path dataDirBase() {
        String configured = System.getProperty("dlm.etcd.test.dataDirBase");
        if (configured != null) {
            return Path.of(configured);
        }
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
