package io.dlm.backend.etcd;

import io.dlm.tck.jvm.CrossProcessTck;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's cross-process tier on one etcd member of this class's own. A killed holder's lock is
 * freed by the leader's expiry of its lease, which it checks every 500 ms.
 */
class EtcdCrossProcessTest extends CrossProcessTck {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final String NAMESPACE = EtcdExtension.freshNamespace("cross-process");

    @Override
    protected String backend() {
        return "etcd";
    }

    @Override
    protected Map<String, String> settings() {
        return ETCD.settings(NAMESPACE);
    }

    /**
     * A fresh JVM's first call loads gRPC and Netty and connects; on a busy machine that alone can
     * take seconds, so the forked clients get more than the default operation timeout.
     */
    @Override
    protected Map<String, String> forkedSettings() {
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("dlm.operation.timeout", "30s");
        return settings;
    }
}
