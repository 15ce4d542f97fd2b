package io.dlm.backend.etcd;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The TCK's fault tier (SPEC N1-N5, N7, M1) on etcd members of the class's own, what its
 * single-member and cluster set-ups share: the tier's proxy sits in front of the client port of the
 * one member the clients are given, and N5 restarts that member, which comes back with its data.
 * Each subclass says which member that is.
 */
abstract class EtcdFaultTck extends LockManagerFaultTck {

    private final EtcdExtension etcd;
    private final String namespace;

    /**
     * @param etcd the class's members
     * @param namespace the class's own key namespace
     */
    EtcdFaultTck(EtcdExtension etcd, String namespace) {
        this.etcd = etcd;
        this.namespace = namespace;
    }

    /** The member the clients use: the one behind the proxy, and the one N5 restarts. */
    abstract EtcdMember clientsMember();

    @Override
    protected final String backendName() {
        return "etcd";
    }

    @Override
    protected final InetSocketAddress engineAddress() {
        URI member = URI.create(clientsMember().clientUrl());
        return new InetSocketAddress(member.getHost(), member.getPort());
    }

    @Override
    protected final Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.etcd.endpoints", "http://" + host + ":" + port, "dlm.etcd.namespace", namespace);
    }

    /** etcd leases are whole seconds (E1). */
    @Override
    protected final Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }

    /**
     * How late etcd's leader deletes the key of an expired lease (E2): it checks for expired leases
     * every 500 ms and revokes them through the log.
     */
    @Override
    protected final Duration expiryLag() {
        return Duration.ofMillis(500);
    }

    /** The members are the class's own, so N5 may restart one. */
    @Override
    protected final boolean canRestartEngine() {
        return true;
    }

    /** Stops the clients' member as an operator would and starts it again; its data directory survives. */
    @Override
    protected final void restartEngine() {
        EtcdMember member = clientsMember();
        member.stop();
        etcd.start(member);
        etcd.awaitHealthy();
    }
}
