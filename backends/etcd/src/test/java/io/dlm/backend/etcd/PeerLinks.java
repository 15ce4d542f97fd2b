package io.dlm.backend.etcd;

import io.dlm.tck.fault.FaultProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The peer links of a test cluster, each member's peer port behind a {@link FaultProxy} that the
 * member advertises as its peer URL, so that a test can cut one member off from the quorum (SPEC
 * N1, N4) while its client port still answers.
 *
 * <p>etcd members talk over connections that either side may have dialled: a member reads the
 * messages of a peer over a stream it dialled itself, and the peer reads its messages over a stream
 * the peer dialled. So isolating member M silences every connection into M's proxy, and, in the
 * other members' proxies, every connection M dialled, now and until the heal. The proxy sees only
 * the dialling socket's port; the process that owns that port is found in {@code /proc} (Linux).
 *
 * <p>Silenced connections stay open and dead, as after a partition whose packets are lost; etcd
 * would notice only by its 5-second read timeout on peer streams. {@link #heal} therefore resets
 * them, so the members redial at once, as they would when their connections broke during a long
 * partition.
 */
final class PeerLinks implements AutoCloseable {

    private final Map<String, FaultProxy> proxies = new LinkedHashMap<>();
    private final List<FaultProxy.Link> cut = new ArrayList<>();

    /**
     * Starts one proxy in front of each member's peer port.
     *
     * @param peerPorts the peer port each member will listen on, by member name
     * @return the links, whose {@link #advertisedUrl} each member must advertise
     * @throws IOException if a proxy cannot listen
     */
    static PeerLinks start(Map<String, Integer> peerPorts) throws IOException {
        PeerLinks links = new PeerLinks();
        try {
            for (Map.Entry<String, Integer> member : peerPorts.entrySet()) {
                links.proxies.put(member.getKey(), FaultProxy.start("127.0.0.1", member.getValue()));
            }
        } catch (IOException | RuntimeException e) {
            links.close();
            throw e;
        }
        return links;
    }

    /**
     * The URL a member advertises to its peers: its proxy's.
     *
     * @param member the member's name
     * @return e.g. {@code http://127.0.0.1:41234}
     */
    String advertisedUrl(String member) {
        FaultProxy proxy = proxy(member);
        return "http://" + proxy.host() + ":" + proxy.port();
    }

    /**
     * Cuts a member off from every peer: nothing it sends reaches them and nothing they send
     * reaches it, on its current connections and on any it or they open until {@link #heal}. Its
     * client port keeps answering; without a leader it can serve no linearizable request.
     *
     * @param member the member to isolate
     */
    synchronized void isolate(EtcdMember member) {
        long pid = member.pid();
        proxy(member.name()).blackhole(FaultProxy.Direction.BOTH);
        for (Map.Entry<String, FaultProxy> other : proxies.entrySet()) {
            if (other.getKey().equals(member.name())) {
                continue;
            }
            FaultProxy proxy = other.getValue();
            // The hook first, then the connections open now: each one is caught by one or the other.
            proxy.onAccept(link -> cutIfDialledBy(pid, link));
            for (FaultProxy.Link link : proxy.connections()) {
                cutIfDialledBy(pid, link);
            }
        }
    }

    /**
     * Ends the isolation of {@code member}: new connections pass again, and every silenced one (all
     * connections into its proxy, and those it dialled into the others) is reset, so that the
     * members redial at once.
     *
     * @param member the member isolated before
     */
    synchronized void heal(EtcdMember member) {
        for (FaultProxy proxy : proxies.values()) {
            proxy.onAccept(link -> {});
            proxy.heal();
        }
        List<FaultProxy.Link> dead;
        synchronized (cut) {
            dead = new ArrayList<>(cut);
            cut.clear();
        }
        dead.forEach(FaultProxy.Link::reset);
        proxy(member.name()).resetAll();
    }

    @Override
    public void close() {
        proxies.values().forEach(FaultProxy::close);
    }

    private FaultProxy proxy(String member) {
        FaultProxy proxy = proxies.get(member);
        if (proxy == null) {
            throw new IllegalArgumentException("no peer proxy for member " + member);
        }
        return proxy;
    }

    private void cutIfDialledBy(long pid, FaultProxy.Link link) {
        if (ownsLocalPort(pid, link.clientAddress().getPort())) {
            link.blackhole(FaultProxy.Direction.BOTH);
            synchronized (cut) {
                cut.add(link);
            }
        }
    }

    /**
     * Whether a TCP socket of process {@code pid} has {@code port} as its local port: its socket
     * inodes from {@code /proc/<pid>/fd}, matched against {@code /proc/net/tcp}.
     */
    static boolean ownsLocalPort(long pid, int port) {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // Closed while we looked: not the socket we are after.
                }
            }
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] fields = line.trim().split("\\s+");
                    if (fields.length < 10 || !fields[1].contains(":")) {
                        continue; // the header
                    }
                    String local = fields[1];
                    int localPort = Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16);
                    if (localPort == port && inodes.contains(fields[9])) {
                        return true;
                    }
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot tell which process dialled port " + port, e);
        }
    }
}
