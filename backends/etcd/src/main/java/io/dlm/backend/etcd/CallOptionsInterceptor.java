package io.dlm.backend.etcd;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Adds two things to every gRPC call jetcd makes for this backend.
 *
 * <ul>
 *   <li>A deadline of one operation timeout (X1), except on watch streams, which live as long as a
 *       waiter does. A call that has been given up on is then also cancelled on the wire and on
 *       the member, instead of being replayed when a dead connection comes back.
 *   <li>etcd's "require leader" header: a member cut off from the leader (the minority side of a
 *       partition) fails the call at once with "no leader" instead of letting it hang.
 * </ul>
 */
final class CallOptionsInterceptor implements ClientInterceptor {

    static final Metadata.Key<String> REQUIRE_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

    private static final String WATCH_METHOD = "etcdserverpb.Watch/Watch";

    private final long deadlineNanos;
    private final Capture capture;

    /**
     * Creates the interceptor of one client.
     *
     * @param operationTimeout the deadline of every call but watches
     * @param capture filled with the channel beneath this interceptor by every call
     */
    CallOptionsInterceptor(Duration operationTimeout, Capture capture) {
        this.deadlineNanos = operationTimeout.toNanos();
        this.capture = capture;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        capture.saw(next, options.getCredentials());
        CallOptions bounded = options;
        if (options.getDeadline() == null && !WATCH_METHOD.equals(method.getFullMethodName())) {
            bounded = options.withDeadlineAfter(deadlineNanos, TimeUnit.NANOSECONDS);
        }
        return new SimpleForwardingClientCall<>(next.newCall(method, bounded)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(REQUIRE_LEADER, "true");
                super.start(listener, headers);
            }
        };
    }

    /**
     * The channel beneath this interceptor (the rest of the client's interceptors, then its
     * connections) and the credentials jetcd's calls carry (the user's token, when there is one),
     * as the latest call saw them. jetcd offers no keep-alive of a single lease on a stream that
     * stays open; {@link KeepAliveStream} opens one on this channel with these credentials.
     */
    static final class Capture {
        private volatile @Nullable Channel channel;
        private volatile @Nullable CallCredentials credentials;

        /** The channel with the client's {@link InboundActivity} in front, made once per channel. */
        private volatile @Nullable Counted counted;

        void saw(Channel next, @Nullable CallCredentials callCredentials) {
            // Credentials first: whoever reads the channel, then the credentials, sees the
            // credentials of the call that made the channel known, never a channel without them.
            if (callCredentials != null && credentials != callCredentials) {
                credentials = callCredentials;
            }
            if (channel != next) {
                channel = next;
            }
        }

        /** The channel; read it before {@link #credentials()} (see {@link #saw}). */
        @Nullable
        Channel channel() {
            return channel;
        }

        @Nullable
        CallCredentials credentials() {
            return credentials;
        }

        /**
         * The channel with {@code inbound} in front, so that what arrives on the calls DLM makes on
         * it directly counts as a sign of life for the stall probe (N1), as the answers to jetcd's
         * calls do: this channel lies below the client's interceptors.
         *
         * @param inbound the client's count of arrivals
         * @return the channel, or {@code null} while no call has shown it
         */
        @Nullable
        Channel countedBy(InboundActivity inbound) {
            Channel base = channel;
            if (base == null) {
                return null;
            }
            Counted current = counted;
            if (current == null || current.base != base || current.inbound != inbound) {
                current = new Counted(base, inbound, ClientInterceptors.intercept(base, inbound));
                counted = current;
            }
            return current.channel;
        }

        private record Counted(Channel base, InboundActivity inbound, Channel channel) {}
    }
}
