package io.dlm.backend.etcd;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole DLM compatibility kit against one real etcd server. */
class EtcdTckTest extends SharedLockSpaceTck {

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

    /**
     * etcd's minimum lease TTL on the tests' server (500 ms elections): 1 s, which the backend
     * learns and declares at open (E1; {@code EtcdStockTimingTest} checks both).
     */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }
}
