package io.dlm.backend.etcd;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.etcd.jetcd.ByteSequence;
import java.util.concurrent.ExecutorService;

/**
 * The {@code etcd} backend as {@link java.util.ServiceLoader} finds it: {@code
 * LockManagers.open("etcd", Map.of("dlm.etcd.endpoints", "http://127.0.0.1:2379"))}.
 *
 * <p>Settings (E1a): {@code dlm.etcd.endpoints} (required), {@code dlm.etcd.namespace}, {@code
 * dlm.etcd.tls.ca}, {@code dlm.etcd.tls.cert}, {@code dlm.etcd.tls.key}, {@code dlm.etcd.user},
 * {@code dlm.etcd.password}, {@code dlm.etcd.connect-timeout}, and the runtime's {@code
 * dlm.operation.timeout}, which bounds every operation (X1).
 */
public final class EtcdLockBackendProvider implements LockBackendProvider {

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public EtcdLockBackendProvider() {}

    @Override
    public String name() {
        return "etcd";
    }

    /**
     * Opens a backend with its own jetcd client. Opening asks etcd for its smallest lease TTL (one
     * grant and one revoke), bounded by the operation timeout; an unreachable cluster does not fail
     * the open (a safe TTL is assumed and a warning logged) but shows as {@code INTERNAL_ERROR} at
     * the first lock operation (X1).
     *
     * @param context the settings
     * @return the backend
     * @throws IllegalArgumentException naming the key of a missing or invalid setting
     */
    @Override
    public LockBackend open(BackendContext context) {
        EtcdSettings settings = EtcdSettings.parse(context);
        ExecutorService executor = EtcdClients.newExecutor();
        ReplaceableClient client;
        try {
            client = new ReplaceableClient(
                    (inbound, capture) -> EtcdClients.open(settings, executor, inbound, capture),
                    executor,
                    settings.operationTimeout(),
                    ByteSequence.from(settings.namespaceBytes()));
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
        return new EtcdLockBackend(
                client,
                executor,
                new LockKeys(settings.namespaceBytes()),
                settings.namespace(),
                settings.operationTimeout(),
                context.leaseLoss());
    }
}
