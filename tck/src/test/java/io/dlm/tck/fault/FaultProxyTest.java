package io.dlm.tck.fault;

import static io.dlm.tck.TckTimings.scaledMillis;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.tck.fault.FaultProxy.Direction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fault proxy against a real upstream server on plain sockets. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FaultProxyTest {

    /** How long a black-holed read is given to show that nothing comes: long enough for a loopback hop. */
    private static final Duration SILENCE = scaledMillis(400);

    /** The bound on anything that should happen at once; generous for a noisy machine. */
    private static final Duration PROMPTLY = scaledMillis(5_000);

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();

    @AfterEach
    void closeResources() throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }

    @Test
    void bytesPassBothWaysUnchangedAndAnEndOfStreamIsPassedOn() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        Socket client = connect(proxy);
        byte[] payload = new byte[1024 * 1024];
        new Random(42).nextBytes(payload);

        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = client.getOutputStream();
                // Uneven writes, so chunk borders fall anywhere in the stream.
                for (int from = 0; from < payload.length; ) {
                    int length = Math.min(payload.length - from, 1 + (from % 70_001));
                    out.write(payload, from, length);
                    from += length;
                }
                client.shutdownOutput();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] echoed = readToEnd(client.getInputStream());
        sent.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);

        assertThat(echoed.length).isEqualTo(payload.length);
        assertThat(crc(echoed)).isEqualTo(crc(payload));
        assertThat(Arrays.equals(echoed, payload)).isTrue();
    }

    @Test
    void latencyDelaysEachDirectionByAtLeastTheDelay() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        Duration delay = scaledMillis(300);

        proxy.latency(Direction.TO_ENGINE, delay);
        assertThat(wire.toEngine("to engine")).isBetween(delay, delay.plus(PROMPTLY));

        proxy.latency(Direction.TO_ENGINE, Duration.ZERO);
        proxy.latency(Direction.TO_CLIENT, delay);
        assertThat(wire.toClient("to client")).isBetween(delay, delay.plus(PROMPTLY));
        // The other direction is not delayed: a hop well under the delay shows it.
        assertThat(wire.toEngine("to engine again")).isLessThan(delay);

        proxy.latency(Direction.BOTH, delay);
        assertThat(wire.toEngine("both, to engine")).isGreaterThanOrEqualTo(delay);
        assertThat(wire.toClient("both, to client")).isGreaterThanOrEqualTo(delay);
    }

    @Test
    void aLatencyCutToZeroKeepsTheOrder() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        Duration delay = scaledMillis(600);

        proxy.latency(Direction.TO_ENGINE, delay);
        long firstSent = System.nanoTime();
        send(wire.client(), "first");
        // The first chunk must be read under the delay before the delay is cut.
        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(5)).until(() -> proxy.pendingChunks() == 1);
        proxy.latency(Direction.TO_ENGINE, Duration.ZERO);
        send(wire.client(), "second");

        assertThat(receive(wire.server(), 11)).isEqualTo("firstsecond");
        assertThat(Duration.ofNanos(System.nanoTime() - firstSent)).isGreaterThanOrEqualTo(delay);
        // With the delay gone, the next bytes do not wait for it.
        assertThat(wire.toEngine("after the cut")).isLessThan(delay);
    }

    @Test
    void blackholeToEngineDropsTheClientsBytesWhileTheEnginesStillFlow() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        Socket client = wire.client();
        assertThat(wire.toEngine("before")).isNotNull();

        proxy.blackhole(Direction.TO_ENGINE);
        send(client, "lost");
        assertThat(wire.toClient("engine to client")).isNotNull();
        assertSilent(wire.server(), "the engine's end");

        // The proxy keeps reading and dropping: far more than every buffer on the way could hold is
        // accepted from the client, so a partitioned client is not merely back-pressured.
        CompletableFuture<Void> flood = CompletableFuture.runAsync(() -> {
            try {
                byte[] block = new byte[1024 * 1024];
                for (int i = 0; i < 64; i++) {
                    client.getOutputStream().write(block);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        flood.get(PROMPTLY.toMillis() * 4, TimeUnit.MILLISECONDS);

        Wire late = another(wire);
        send(late.client(), "lost too");
        assertSilent(late.server(), "the engine's end of a later connection");
        assertThat(late.toClient("engine to late client")).isNotNull();

        proxy.heal();
        send(client, "still lost");
        assertSilent(wire.server(), "the engine's end after the heal");
        assertThat(wire.toClient("engine to client after heal")).isNotNull();
        assertThat(another(wire).toEngine("after heal")).isNotNull();
    }

    @Test
    void aCutPassesTheFirstBytesOfAMessageThenNothingNotEvenTheEndOfStream() throws Exception {
        Wire wire = wire();
        Socket client = wire.client();
        Socket server = wire.server();
        assertThat(wire.toEngine("before")).isNotNull();

        wire.proxy().cutAfter(Direction.TO_ENGINE, 4);
        send(client, "0123");
        send(client, "456789");
        assertThat(receive(server, 4)).isEqualTo("0123");
        assertSilent(server, "after the cut");
        // The other direction still flows, and a later connection is not cut.
        assertThat(wire.toClient("engine to client")).isNotNull();
        assertThat(another(wire).toEngine("a later connection")).isNotNull();

        wire.proxy().heal();
        send(client, "after heal");
        assertSilent(server, "a cut is not healed");
        client.shutdownOutput();
        assertSilent(server, "the end of stream");
    }

    @Test
    void aCutInTheMiddleOfAChunkPassesItsBeginning() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        Socket client = wire.client();
        Socket server = wire.server();

        proxy.connections().get(0).cutAfter(Direction.TO_ENGINE, 3);
        send(client, "abcdef");
        assertThat(receive(server, 3)).isEqualTo("abc");
        assertSilent(server, "after the cut");
        // A later cut cannot make a cut connection flow again.
        proxy.cutAfter(Direction.TO_ENGINE, 100);
        send(client, "ghi");
        assertSilent(server, "after a later cut");
        // Nor does a reset by the client reach the engine: the link is dead, not closed.
        client.setSoLinger(true, 0);
        client.close();
        assertSilent(server, "after the client's reset");
        assertThatThrownBy(() -> proxy.cutAfter(Direction.TO_ENGINE, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytes");
        assertThatThrownBy(() -> proxy.cutAfter(null, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void blackholeToClientDropsTheEnginesBytesWhileTheClientsStillFlow() throws Exception {
        Wire wire = wire();

        wire.proxy().blackhole(Direction.TO_CLIENT);
        send(wire.server(), "lost");
        assertThat(wire.toEngine("client to engine")).isNotNull();
        assertSilent(wire.client(), "the client");

        Wire late = another(wire);
        send(late.server(), "lost too");
        assertThat(late.toEngine("late client to engine")).isNotNull();
        assertSilent(late.client(), "a later client");
    }

    @Test
    void blackholeBothLeavesTheConnectionOpenAndDeadEvenAfterHealWhileANewConnectionWorks() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        Socket client = connect(proxy);
        assertThat(echo(client, "alive")).isEqualTo("alive");

        proxy.blackhole(Direction.BOTH);
        client.getOutputStream().write('x');
        // A timeout, not an end of stream and not a reset: the peer has gone silent.
        assertSilent(client, "the black-holed connection");
        Socket duringPartition = connect(proxy);
        duringPartition.getOutputStream().write('y');
        assertSilent(duringPartition, "a connection opened during the partition");

        proxy.heal();
        client.getOutputStream().write('z');
        assertSilent(client, "the black-holed connection after the heal");
        duringPartition.getOutputStream().write('z');
        assertSilent(duringPartition, "a connection opened during the partition, after the heal");
        assertThat(proxy.openConnections()).isEqualTo(2);

        Socket afterHeal = connect(proxy);
        assertThat(echo(afterHeal, "healed")).isEqualTo("healed");
    }

    @Test
    void aFaultOnOneConnectionLeavesTheOthersAlone() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        Socket first = connect(proxy);
        assertThat(echo(first, "one")).isEqualTo("one");
        Socket second = connect(proxy);
        assertThat(echo(second, "two")).isEqualTo("two");
        List<FaultProxy.Link> links = proxy.connections();
        assertThat(links).hasSize(2);

        links.get(0).blackhole(Direction.BOTH);
        first.getOutputStream().write('x');
        assertSilent(first, "the black-holed one");
        assertThat(echo(second, "still")).as("the other one").isEqualTo("still");

        links.get(1).reset();
        assertThat(readOnce(second, PROMPTLY)).isEqualTo(Outcome.RESET);
        assertThat(links.get(1).isOpen()).isFalse();
        assertThat(echo(connect(proxy), "new")).as("a new connection").isEqualTo("new");
    }

    @Test
    void anAcceptHookSeesEachNewConnectionWithItsClientsAddressBeforeAnyByteIsForwarded() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        Socket before = connect(proxy);
        assertThat(echo(before, "before")).isEqualTo("before");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        // Silences the connections of one client port, as a test silences one process's dials.
        int[] silenced = new int[1];
        proxy.onAccept(link -> {
            seen.add(link.clientAddress().getPort());
            if (link.clientAddress().getPort() == silenced[0]) {
                link.blackhole(Direction.BOTH);
            }
        });
        Socket quiet = new Socket();
        resources.push(quiet);
        quiet.bind(null);
        silenced[0] = quiet.getLocalPort();
        quiet.connect(new InetSocketAddress(proxy.host(), proxy.port()));
        quiet.getOutputStream().write('x');
        assertSilent(quiet, "the hooked connection");
        Socket other = connect(proxy);
        assertThat(echo(other, "other")).as("another client's").isEqualTo("other");
        assertThat(echo(before, "still"))
                .as("a connection accepted before the hook")
                .isEqualTo("still");
        assertThat(seen).containsExactly(quiet.getLocalPort(), other.getLocalPort());
        assertThat(proxy.connections().get(0).clientAddress().getPort()).isEqualTo(before.getLocalPort());

        proxy.onAccept(link -> {});
        assertThat(echo(connect(proxy), "unhooked")).isEqualTo("unhooked");
        assertThat(seen).hasSize(2);
        assertThatThrownBy(() -> proxy.onAccept(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hook");
    }

    @Test
    void heldConnectionsKeepTheirBytesInOrderWhileNewOnesPassAndDeliverThemOnRelease() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        Socket client = connect(proxy);
        assertThat(echo(client, "alive")).isEqualTo("alive");

        proxy.holdExisting();
        send(client, "held-1 ");
        send(client, "held-2");
        // Nothing comes back, and nothing is lost or reset either.
        assertSilent(client, "the held connection");
        Socket later = connect(proxy);
        assertThat(echo(later, "new"))
                .as("a connection opened during the hold passes")
                .isEqualTo("new");

        proxy.releaseHeld();
        client.setSoTimeout((int) PROMPTLY.toMillis());
        assertThat(new String(readExactly(client.getInputStream(), 13), US_ASCII))
                .as("the backlog, in order")
                .isEqualTo("held-1 held-2");
        assertThat(echo(client, "flowing")).isEqualTo("flowing");
    }

    @Test
    void aClientsResetDuringAPartitionDoesNotReachTheEngine() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        assertThat(wire.toEngine("before")).isNotNull();

        proxy.blackhole(Direction.TO_ENGINE);
        wire.client().setSoLinger(true, 0);
        wire.client().close();

        await().atMost(PROMPTLY).until(() -> proxy.openConnections() == 0);
        send(wire.server(), "into the void");
        assertSilent(wire.server(), "the engine's end");
    }

    @Test
    void resetAllResetsBothTheClientAndTheEngine() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        assertThat(wire.toEngine("before")).isNotNull();

        proxy.resetAll();

        // SocketTimeoutException is no SocketException: a connection left open fails these.
        assertThatThrownBy(() -> wire.client().getInputStream().read())
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
        assertThatThrownBy(() -> wire.server().getInputStream().read())
                .isInstanceOf(SocketException.class)
                .hasMessageContaining("reset");
        assertThat(proxy.openConnections()).isZero();
        assertThat(another(wire).toEngine("new connection")).isNotNull();
    }

    @Test
    void aClientOfADownEngineSeesItsConnectionEndPromptly() throws Exception {
        int freePort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            freePort = probe.getLocalPort();
        }
        FaultProxy proxy = FaultProxy.start("127.0.0.1", freePort);
        resources.push(proxy);
        Socket client = connect(proxy);

        assertThat(readOnce(client, PROMPTLY)).isIn(Outcome.RESET, Outcome.END_OF_STREAM);
        await().atMost(PROMPTLY).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void awaitDrainedWaitsForTheDelayedBytesToBeDelivered() throws Exception {
        Wire wire = wire();
        FaultProxy proxy = wire.proxy();
        proxy.awaitDrained(Duration.ZERO);
        Duration delay = scaledMillis(500);
        proxy.latency(Direction.TO_ENGINE, delay);

        long sent = System.nanoTime();
        send(wire.client(), "late");
        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(5)).until(() -> proxy.pendingChunks() > 0);
        assertThatThrownBy(() -> proxy.awaitDrained(Duration.ofMillis(1)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("delayed chunk");

        proxy.awaitDrained(delay.plus(PROMPTLY));
        assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(delay);
        assertThat(receive(wire.server(), 4)).isEqualTo("late");
    }

    @Test
    void openConnectionsCountsTheConnectionsTheClientsHaveOpen() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        assertThat(proxy.openConnections()).isZero();
        Socket first = connect(proxy);
        connect(proxy);
        connect(proxy);
        await().atMost(PROMPTLY).until(() -> proxy.openConnections() == 3);

        first.close();
        await().atMost(PROMPTLY).until(() -> proxy.openConnections() == 2);
        proxy.resetAll();
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void closeStopsListeningResetsEveryConnectionAndEndsEveryThread() throws Exception {
        Upstream upstream = upstream(true);
        FaultProxy proxy = proxy(upstream);
        String prefix = "dlm-fault-proxy-" + proxy.port() + "-";
        Socket working = connect(proxy);
        assertThat(echo(working, "up")).isEqualTo("up");
        proxy.latency(Direction.TO_ENGINE, Duration.ofMinutes(1));
        send(working, "queued");
        proxy.blackhole(Direction.TO_CLIENT);
        Socket dead = connect(proxy);
        await().atMost(PROMPTLY).until(() -> proxy.openConnections() == 2);
        assertThat(liveThreads(prefix)).isNotEmpty();

        proxy.close();
        proxy.close();

        await().atMost(PROMPTLY).until(() -> liveThreads(prefix).isEmpty());
        assertThat(readOnce(working, PROMPTLY)).isEqualTo(Outcome.RESET);
        assertThat(readOnce(dead, PROMPTLY)).isEqualTo(Outcome.RESET);
        assertThatThrownBy(() -> new Socket(proxy.host(), proxy.port()).close()).isInstanceOf(ConnectException.class);
        assertThat(proxy.openConnections()).isZero();
    }

    @Test
    void badArgumentsAreRejectedByName() throws Exception {
        assertThatThrownBy(() -> FaultProxy.start(" ", 80))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upstreamHost");
        assertThatThrownBy(() -> FaultProxy.start("127.0.0.1", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upstreamPort");
        assertThatThrownBy(() -> FaultProxy.start("127.0.0.1", 65_536))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("upstreamPort");
        FaultProxy proxy = proxy(upstream(true));
        assertThatThrownBy(() -> proxy.latency(Direction.BOTH, Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delay");
        assertThatThrownBy(() -> proxy.latency(Direction.BOTH, Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delay");
        assertThatThrownBy(() -> proxy.awaitDrained(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout");
        assertThat(proxy.host()).isEqualTo("127.0.0.1");
    }

    // ----------------------------------------------------------------------------------------------

    private Upstream upstream(boolean echo) throws IOException {
        Upstream upstream = new Upstream(echo);
        resources.push(upstream);
        return upstream;
    }

    private FaultProxy proxy(Upstream upstream) throws IOException {
        FaultProxy proxy = FaultProxy.start("127.0.0.1", upstream.port());
        resources.push(proxy);
        return proxy;
    }

    private Socket connect(FaultProxy proxy) throws IOException {
        Socket socket = new Socket(proxy.host(), proxy.port());
        resources.push(socket);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout((int) PROMPTLY.toMillis());
        return socket;
    }

    /** A new connection through a new proxy to a new upstream that hands the test its end. */
    private Wire wire() throws Exception {
        Upstream upstream = upstream(false);
        return wire(upstream, proxy(upstream));
    }

    private Wire wire(Upstream upstream, FaultProxy proxy) throws Exception {
        Socket client = connect(proxy);
        return new Wire(upstream, proxy, client, upstream.next());
    }

    /**
     * One connection through the proxy with both its ends: the client's and, as the upstream
     * accepted it, the engine's.
     */
    private record Wire(Upstream upstream, FaultProxy proxy, Socket client, Socket server) {

        /** Sends {@code text} from the client and times its arrival at the engine's end. */
        Duration toEngine(String text) throws IOException {
            return timeToArrive(client, server, text);
        }

        /** Sends {@code text} from the engine's end and times its arrival at the client. */
        Duration toClient(String text) throws IOException {
            return timeToArrive(server, client, text);
        }
    }

    /** Another connection through the same proxy to the same upstream. */
    private Wire another(Wire wire) throws Exception {
        return wire(wire.upstream(), wire.proxy());
    }

    /** Sends one line from {@code from} and reads it at {@code to}, timing the trip. */
    private static Duration timeToArrive(Socket from, Socket to, String text) throws IOException {
        byte[] bytes = text.getBytes(US_ASCII);
        long start = System.nanoTime();
        from.getOutputStream().write(bytes);
        byte[] read = readExactly(to.getInputStream(), bytes.length);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(new String(read, US_ASCII)).isEqualTo(text);
        return took;
    }

    private static void send(Socket from, String text) throws IOException {
        from.getOutputStream().write(text.getBytes(US_ASCII));
    }

    private static String receive(Socket at, int length) throws IOException {
        return new String(readExactly(at.getInputStream(), length), US_ASCII);
    }

    /** Nothing arrives at {@code socket} for a while: no byte, no end of stream, no reset. */
    private static void assertSilent(Socket socket, String what) throws IOException {
        assertThat(readOnce(socket, SILENCE)).as(what).isEqualTo(Outcome.TIMEOUT);
    }

    private static String echo(Socket client, String text) throws IOException {
        byte[] bytes = text.getBytes(US_ASCII);
        client.getOutputStream().write(bytes);
        return new String(readExactly(client.getInputStream(), bytes.length), US_ASCII);
    }

    private static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] bytes = new byte[length];
        int done = 0;
        while (done < length) {
            int read = in.read(bytes, done, length - done);
            if (read < 0) {
                throw new IOException("end of stream after " + done + " of " + length + " bytes");
            }
            done += read;
        }
        return bytes;
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        return all.toByteArray();
    }

    private static long crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }

    private enum Outcome {
        DATA,
        END_OF_STREAM,
        RESET,
        TIMEOUT
    }

    private static Outcome readOnce(Socket socket, Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            return socket.getInputStream().read() < 0 ? Outcome.END_OF_STREAM : Outcome.DATA;
        } catch (SocketTimeoutException e) {
            return Outcome.TIMEOUT;
        } catch (SocketException e) {
            return Outcome.RESET;
        }
    }

    private static List<Thread> liveThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(prefix) && thread.isAlive())
                .toList();
    }

    /** The engine's side: a server that either echoes or hands each accepted socket to the test. */
    private static final class Upstream implements AutoCloseable {

        private final ServerSocket server;
        private final boolean echo;
        private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
        private final List<Socket> all = new CopyOnWriteArrayList<>();

        Upstream(boolean echo) throws IOException {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.echo = echo;
            Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-test-upstream-" + port());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** The next connection the proxy opened to this server. */
        Socket next() throws InterruptedException, IOException {
            Socket socket = accepted.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(socket)
                    .as("a connection through the proxy reached the upstream")
                    .isNotNull();
            socket.setSoTimeout((int) PROMPTLY.toMillis());
            return socket;
        }

        private void acceptLoop() {
            while (true) {
                Socket socket;
                try {
                    socket = server.accept();
                    socket.setTcpNoDelay(true);
                } catch (IOException e) {
                    return;
                }
                all.add(socket);
                if (echo) {
                    Thread echoer = new Thread(() -> echo(socket), "fault-proxy-test-echo-" + socket.getPort());
                    echoer.setDaemon(true);
                    echoer.start();
                } else {
                    accepted.add(socket);
                }
            }
        }

        /** Echoes until the end of the stream, then closes, as a server does when its client leaves. */
        private static void echo(Socket socket) {
            try (socket) {
                socket.getInputStream().transferTo(socket.getOutputStream());
            } catch (IOException e) {
                // The connection was reset: nothing more to echo.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket socket : all) {
                socket.close();
            }
        }
    }
}
