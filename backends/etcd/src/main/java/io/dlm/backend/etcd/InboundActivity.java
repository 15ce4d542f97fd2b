package io.dlm.backend.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what comes back from etcd on one jetcd client: the response headers and messages of
 * every call and stream on its channel, watches and keep-alives included. {@link
 * ReplaceableClient} compares the count before and after a probe to tell a client that is slow
 * (answers keep arriving, only late: N7's thousand renewals queued on one HTTP/2 connection of a
 * loaded host) from one that is stalled (nothing arrives at all: a silent partition, a frozen
 * member), and replaces only the latter (N1).
 *
 * <p>Only headers and messages count, because only the server can cause them. A call's close does
 * not: gRPC also closes calls by itself, on a deadline, a cancellation or a broken transport. The
 * cost is one uncontended increment per message, on the thread gRPC delivers it on.
 */
final class InboundActivity implements ClientInterceptor {

    private final LongAdder arrivals = new LongAdder();

    /**
     * How many headers and messages have arrived so far; it only grows, so two readings differ
     * exactly when something arrived in between.
     *
     * @return the count
     */
    long arrivals() {
        return arrivals.sum();
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                super.start(new Counting<>(listener), headers);
            }
        };
    }

    /** Counts a call's inbound headers and messages, then passes them on. */
    private final class Counting<R> extends SimpleForwardingClientCallListener<R> {

        Counting(ClientCall.Listener<R> delegate) {
            super(delegate);
        }

        @Override
        public void onHeaders(Metadata headers) {
            arrivals.increment();
            super.onHeaders(headers);
        }

        @Override
        public void onMessage(R message) {
            arrivals.increment();
            super.onMessage(message);
        }
    }
}
