package io.dlm.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;

/** Builds the jetcd client of one backend instance from its settings. */
final class EtcdClients {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /**
     * How often a connection with open streams (watches) is pinged, and how long a ping may go
     * unanswered before the connection counts as dead. Shorter than jetcd's defaults (30 s, 10 s)
     * so that a watch on a member that vanished without a reset is re-created sooner; not below
     * etcd's default {@code --grpc-keepalive-min-time} of 5 s, which a member enforces by closing
     * (GOAWAY "too_many_pings") connections that ping more often. Unary calls need no pings: they
     * carry deadlines, and a call that goes unanswered makes {@link ReplaceableClient} probe and
     * replace the client (N1).
     */
    private static final Duration KEEPALIVE_TIME = Duration.ofSeconds(10);

    private static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    private EtcdClients() {}

    /**
     * jetcd's retry pacing, fitted into one operation timeout. jetcd's defaults (first retry after
     * 500 ms, then up to 2.5 s apart) would make its retry policy refuse every call when the
     * timeout is 500 ms or less ("maxDuration must be > the delay"); shorter timeouts retry sooner.
     *
     * @param delayMillis the pause before the first retry
     * @param maxDelayMillis the longest pause between retries
     * @param maxDuration how long retries may go on
     */
    record Retries(long delayMillis, long maxDelayMillis, Duration maxDuration) {

        private static final long DEFAULT_DELAY_MILLIS = 500;
        private static final long DEFAULT_MAX_DELAY_MILLIS = 2_500;

        static Retries within(Duration operationTimeout) {
            long budget = Math.max(2, operationTimeout.toMillis());
            long delay = Math.max(1, Math.min(DEFAULT_DELAY_MILLIS, budget / 4));
            long maxDelay = Math.max(delay + 1, Math.min(DEFAULT_MAX_DELAY_MILLIS, budget / 2));
            return new Retries(delay, maxDelay, Duration.ofMillis(budget));
        }
    }

    /**
     * A thread pool for jetcd's callbacks and retries, named after this backend so that its
     * threads can be told apart and shown to stop on close (C1).
     *
     * @return a new cached pool of daemon threads
     */
    static ExecutorService newExecutor() {
        int instance = INSTANCES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, "dlm-etcd-" + instance + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return Executors.newCachedThreadPool(factory);
    }

    /**
     * Builds a client; it connects lazily, on the first call.
     *
     * @param settings the checked settings
     * @param executor the pool for jetcd's callbacks
     * @param inbound counts what arrives on the client's channel, for {@link ReplaceableClient}
     * @param capture filled with the client's channel by its calls, for {@link KeepAliveStream}
     * @return the client
     * @throws IllegalArgumentException naming the TLS keys when the TLS material cannot be loaded
     */
    static Client open(
            EtcdSettings settings,
            ExecutorService executor,
            InboundActivity inbound,
            CallOptionsInterceptor.Capture capture) {
        Retries retry = Retries.within(settings.operationTimeout());
        ClientBuilder builder = Client.builder()
                .endpoints(settings.endpoints())
                .executorService(executor)
                .connectTimeout(settings.connectTimeout())
                // Fail a call at once while no member is reachable, rather than queue it (X1).
                .waitForReady(false)
                // jetcd retries idempotent calls on UNAVAILABLE; never past one operation's budget.
                .retryDelay(retry.delayMillis())
                .retryMaxDelay(retry.maxDelayMillis())
                .retryMaxDuration(retry.maxDuration())
                .keepaliveTime(KEEPALIVE_TIME)
                .keepaliveTimeout(KEEPALIVE_TIMEOUT)
                // etcd refuses pings on a connection without open streams (its enforcement policy
                // does not permit them), and closes connections that keep sending them.
                .keepaliveWithoutCalls(false)
                .interceptor(new CallOptionsInterceptor(settings.operationTimeout(), capture), inbound);
        if (settings.user() != null && settings.password() != null) {
            builder.user(ByteSequence.from(settings.user(), StandardCharsets.UTF_8))
                    .password(ByteSequence.from(settings.password(), StandardCharsets.UTF_8));
        }
        EtcdSettings.Tls tls = settings.tls();
        if (tls != null) {
            try {
                builder.sslContext(ssl -> {
                    if (tls.ca() != null) {
                        ssl.trustManager(tls.ca().toFile());
                    }
                    if (tls.cert() != null && tls.key() != null) {
                        ssl.keyManager(tls.cert().toFile(), tls.key().toFile());
                    }
                });
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "Cannot load the TLS material of " + EtcdSettings.TLS_CA + "/" + EtcdSettings.TLS_CERT + "/"
                                + EtcdSettings.TLS_KEY + ": " + e.getMessage(),
                        e);
            }
        }
        return builder.build();
    }
}
