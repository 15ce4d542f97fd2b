package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.spi.WatchingLockBackend;
import io.dlm.tck.fault.FaultProxy;
import io.dlm.tck.support.CapturedLog;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * N1 without hurting N7: {@link ReplaceableClient} replaces a client whose probe went unanswered
 * only when nothing at all came back on that client meanwhile. A connection that keeps delivering
 * answers, only late (a busy HTTP/2 connection on a loaded host, where the probe queues behind
 * thousands of keep-alives, or a slow network), is alive: replacing it would cost the leases
 * renewed over it and buy nothing.
 *
 * <p>Made deterministic with a {@link FaultProxy} that delays every byte from etcd by three
 * operation timeouts, so the probe always misses its bound, while a watch on the same client
 * receives a steady stream of events from a writer that talks to etcd directly. The second test is
 * the same minus the writer: nothing comes back, and the client is replaced as before. The third
 * shows that the answers of the calls DLM sends below jetcd count on the client the probe reads.
 */
class ReplaceableClientProbeTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(500);

    /** Longer than the probe's bound with room to spare, so that its answer is certainly late. */
    private static final Duration ANSWER_DELAY = OPERATION_TIMEOUT.multipliedBy(3);

    private static final Duration WRITE_INTERVAL = Duration.ofMillis(20);

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private final ByteSequence key = bytes("/dlm-test/probe-" + UUID.randomUUID() + "/events");
    private final AtomicLong lastSeenRevision = new AtomicLong();

    private FaultProxy proxy;
    private ReplaceableClient client;
    private Client writer;

    @BeforeEach
    void connectThroughAProxy() throws Exception {
        URI member = URI.create(ETCD.endpoints());
        proxy = track(FaultProxy.start(member.getHost(), member.getPort()));
        client = openThrough(proxy);
        writer = track(Client.builder().endpoints(ETCD.endpoints()).build());
        // The first calls connect and load classes, which may take longer than the short timeout.
        Awaitility.await("a first call")
                .atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> client.kv().get(key).get(10, TimeUnit.SECONDS) != null);
        // The watch starts at a write made before it: a watch without a start revision begins
        // wherever etcd is when its request arrives, which may be after a write sent just after it.
        long written = put();
        WatchingLockBackend.Watch watch = client.watch(watches -> watchEvents(watches, written));
        toClose.push(watch::close);
        Awaitility.await("the watch sees a write")
                .atMost(Duration.ofSeconds(10))
                .until(() -> lastSeenRevision.get() >= written);
    }

    @AfterEach
    void closeAll() throws Exception {
        while (!toClose.isEmpty()) {
            toClose.pop().close();
        }
    }

    @Test
    void aClientThatKeepsAnsweringLateIsNotReplaced() throws Exception {
        ScheduledExecutorService writes = Executors.newSingleThreadScheduledExecutor();
        toClose.push(writes::shutdownNow);
        writes.scheduleAtFixedRate(
                () -> writer.getKVClient().put(key, bytes("tick")),
                0,
                WRITE_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);

        proxy.latency(FaultProxy.Direction.TO_CLIENT, ANSWER_DELAY);
        // Past the gap that the new delay opens: events written from now on arrive late, but arrive.
        long afterTheDelay = put();
        Awaitility.await("events arrive again, late")
                .atMost(Duration.ofSeconds(10))
                .until(() -> lastSeenRevision.get() >= afterTheDelay);
        KV before = client.kv();
        assertThat(catchThrowable(() -> before.get(key).get(10, TimeUnit.SECONDS)))
                .as("a call on this client misses the operation timeout, as the probe will")
                .satisfies(failure -> assertThat(ReplaceableClient.isTimeout(failure))
                        .as("%s", failure)
                        .isTrue());

        try (CapturedLog log = new CapturedLog(ReplaceableClient.class)) {
            client.suspectStall();
            Awaitility.await("the client kept while its probe goes unanswered and other answers come in")
                    .during(OPERATION_TIMEOUT.multipliedBy(3))
                    .atMost(OPERATION_TIMEOUT.multipliedBy(6))
                    .until(() -> client.kv() == before);
            assertThat(log.warnings()).noneMatch(warning -> warning.contains("Replaced the etcd client"));
        }
    }

    @Test
    void aClientOnWhichNothingComesBackIsReplaced() throws Exception {
        proxy.latency(FaultProxy.Direction.TO_CLIENT, ANSWER_DELAY);
        KV before = client.kv();
        try (CapturedLog log = new CapturedLog(ReplaceableClient.class)) {
            client.suspectStall();
            // The warning comes right after the swap: await it, then look at the swap.
            Awaitility.await("the silent client replaced")
                    .atMost(OPERATION_TIMEOUT.multipliedBy(6))
                    .until(() ->
                            log.warnings().stream().anyMatch(warning -> warning.contains("Replaced the etcd client")));
            assertThat(client.kv()).isNotSameAs(before);
        }
    }

    /**
     * The probe reads the count of the client it suspects, and the answers that DLM's own calls
     * get below jetcd (the keep-alive stream and the plain transactions) must add to that count,
     * or a client busy with renewals would look silent and be replaced (N7). The client here is
     * opened with its interceptor counting into a counter of its own, so only those two paths can
     * move the one the probe reads.
     */
    @Test
    void keepAliveAndTransactionAnswersCountForTheProbe() throws Exception {
        AtomicReference<InboundActivity> probed = new AtomicReference<>();
        ExecutorService executor = executor();
        ReplaceableClient isolated = new ReplaceableClient(
                (inbound, capture) -> {
                    probed.set(inbound);
                    return EtcdClients.open(settingsThrough(proxy), executor, new InboundActivity(), capture);
                },
                executor,
                OPERATION_TIMEOUT,
                bytes("/dlm-test/probe/"));
        toClose.push(isolated::close);
        // A first call through jetcd lets the client's own paths take over; jetcd's answer to it
        // goes to the other counter.
        Awaitility.await("a first call")
                .atMost(Duration.ofSeconds(20))
                .ignoreExceptions()
                .until(() -> isolated.kv().get(key).get(10, TimeUnit.SECONDS) != null);
        assertThat(probed.get().arrivals()).as("jetcd's answers counted apart").isZero();

        long lease = writer.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
        toClose.push(() -> writer.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS));
        assertThat(isolated.keepAliveOnce(lease).get(10, TimeUnit.SECONDS)).isPositive();
        long afterKeepAlive = probed.get().arrivals();
        assertThat(afterKeepAlive).as("the keep-alive stream's answer").isPositive();

        CompletableFuture<io.etcd.jetcd.kv.TxnResponse> transaction =
                isolated.transactDirectly(DirectTransactions.deleteIfIncarnation(key, 1));
        assertThat(transaction).as("sent as a plain call").isNotNull();
        assertThat(transaction.get(10, TimeUnit.SECONDS).isSucceeded())
                .as("no such incarnation")
                .isFalse();
        assertThat(probed.get().arrivals()).as("the transaction's answer").isGreaterThan(afterKeepAlive);
    }

    private WatchingLockBackend.Watch watchEvents(Watch watches, long fromRevision) {
        Watch.Watcher watcher = watches.watch(
                key,
                WatchOption.builder().withRevision(fromRevision).build(),
                response -> response.getEvents()
                        .forEach(event -> lastSeenRevision.accumulateAndGet(
                                event.getKeyValue().getModRevision(), Math::max)));
        return watcher::close;
    }

    /** Writes the key directly, past the proxy, and returns the write's revision. */
    private long put() throws Exception {
        return writer.getKVClient()
                .put(key, bytes("mark"))
                .get(10, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
    }

    private ReplaceableClient openThrough(FaultProxy through) {
        EtcdSettings settings = settingsThrough(through);
        ExecutorService executor = executor();
        ReplaceableClient opened = new ReplaceableClient(
                (inbound, capture) -> EtcdClients.open(settings, executor, inbound, capture),
                executor,
                OPERATION_TIMEOUT,
                bytes(settings.namespace()));
        toClose.push(opened::close);
        return opened;
    }

    private static EtcdSettings settingsThrough(FaultProxy through) {
        return new EtcdSettings(
                List.of(URI.create("http://" + through.host() + ":" + through.port())),
                "/dlm-test/probe/",
                null,
                null,
                null,
                EtcdSettings.DEFAULT_CONNECT_TIMEOUT,
                OPERATION_TIMEOUT);
    }

    private ExecutorService executor() {
        ExecutorService executor = EtcdClients.newExecutor();
        toClose.push(executor::shutdownNow);
        return executor;
    }

    private <T extends AutoCloseable> T track(T closeable) {
        toClose.push(closeable);
        return closeable;
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
