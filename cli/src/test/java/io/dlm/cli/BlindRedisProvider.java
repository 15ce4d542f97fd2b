package io.dlm.cli;

import io.dlm.LockInfo;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.TckBackends;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A deliberately broken backend for {@link TckCommandTest}: Redis, except that {@code inspect}
 * never sees a holder, which breaks I1. Registered for the tests only, as {@code blind-redis}.
 */
public final class BlindRedisProvider implements LockBackendProvider {

    /** Created by {@link ServiceLoader}. */
    public BlindRedisProvider() {}

    @Override
    public String name() {
        return "blind-redis";
    }

    @Override
    public LockBackend open(BackendContext context) {
        return TckBackends.decorated("redis", Blind::new).open(context);
    }

    /** Redis, with no holder ever to be seen. */
    private static final class Blind extends ForwardingLockBackend {
        Blind(LockBackend redis) {
            super(redis);
        }

        @Override
        public Optional<LockInfo> inspect(String resourceId) {
            return Optional.empty();
        }
    }
}
