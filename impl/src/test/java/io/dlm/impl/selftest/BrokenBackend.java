package io.dlm.impl.selftest;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.ServiceLoader;

/**
 * The in-memory backend with one deliberate flaw in what the runtime's lease lifecycle relies on
 * (K1, K3, K4, X5) and what S2 and S3 build on. The TCK must catch each.
 */
final class BrokenBackend extends ForwardingLockBackend {

    /** One flaw each. */
    enum Flaw {
        /** A renewal says yes without renewing: the keep-alive stops silently (breaks K1). */
        KEEPALIVE_STOPS_SILENTLY,
        /** A refused renewal is answered only a lease later: the loss is reported late (breaks K3). */
        LOSS_REPORTED_LATE,
        /** Release and renewal ignore the acquisition's token (breaks K4). */
        TOKEN_BLIND,
        /** Undo does nothing: an ambiguous acquisition stays held by nobody (breaks X5). */
        ORPHANS_AMBIGUOUS_ACQUISITIONS,
        /** Undo releases whatever the client holds, not only the attempt's acquisition (breaks X5). */
        UNDOES_BY_CLIENT,
        /**
         * A release says yes and leaves the lock to expire: a lock held on is not freed when its
         * hold ends (breaks S2), and a leader that resigns does not hand the lead on (breaks S3).
         */
        RELEASE_LEFT_TO_EXPIRE
    }

    private final LockBackend memory;
    private final Flaw flaw;

    private BrokenBackend(LockBackend memory, Flaw flaw) {
        super(memory);
        this.memory = memory;
        this.flaw = flaw;
    }

    /** A provider of the memory backend with the flaw, as the runtime opens it. */
    static LockBackendProvider provider(Flaw flaw) {
        LockBackendProvider memory = ServiceLoader.load(LockBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("memory"))
                .findFirst()
                .orElseThrow();
        return new LockBackendProvider() {
            @Override
            public String name() {
                return "broken-memory";
            }

            @Override
            public LockBackend open(BackendContext context) {
                return new BrokenBackend(memory.open(context), flaw);
            }
        };
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        if (flaw == Flaw.RELEASE_LEFT_TO_EXPIRE) {
            return true;
        }
        return memory.release(resourceId, clientId, flaw == Flaw.TOKEN_BLIND ? ANY_ACQUISITION : fencingToken);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        switch (flaw) {
            case KEEPALIVE_STOPS_SILENTLY:
                return true;
            case TOKEN_BLIND:
                return memory.renew(resourceId, clientId, ANY_ACQUISITION);
            case LOSS_REPORTED_LATE:
                boolean renewed = memory.renew(resourceId, clientId, fencingToken);
                if (!renewed) {
                    sleep(Duration.ofSeconds(2));
                }
                return renewed;
            default:
                return memory.renew(resourceId, clientId, fencingToken);
        }
    }

    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        if (flaw == Flaw.UNDOES_BY_CLIENT) {
            memory.release(resourceId, clientId, ANY_ACQUISITION);
        } else if (flaw != Flaw.ORPHANS_AMBIGUOUS_ACQUISITIONS) {
            memory.undo(resourceId, clientId, attempt);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
