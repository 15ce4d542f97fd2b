package io.dlm.backend.etcd;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.LockManagerTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole DLM compatibility kit against one real etcd server. */
class EtcdTckTest extends LockManagerTck {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    /** Its own namespace, so that reruns and other test classes never meet its keys. */
    private static final String NAMESPACE = "/dlm-test/tck-" + UUID.randomUUID() + "/";

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open("etcd", withServer(properties));
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated("etcd", decorator), withServer(properties));
    }

    private static Map<String, String> withServer(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put("dlm.etcd.endpoints", ETCD.endpoints());
        all.put("dlm.etcd.namespace", NAMESPACE);
        return all;
    }

    /** etcd counts lease TTLs in whole seconds (E1). */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected boolean sharedLockSpace() {
        return true;
    }
}
