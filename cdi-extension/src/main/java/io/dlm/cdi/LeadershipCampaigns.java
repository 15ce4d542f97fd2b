package io.dlm.cdi;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.LeadershipGranted;
import io.dlm.interceptor.LeadershipRevoked;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Shutdown;
import jakarta.enterprise.event.Startup;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.util.ArrayList;
import java.util.List;

/**
 * Campaigns for the names in {@code dlm.leadership.names} from start-up to shutdown, with the
 * application's client id, and tells observers through {@link LeadershipGranted} and {@link
 * LeadershipRevoked} events (S4). Both extensions add it as a bean.
 *
 * <p>Every listed name is campaigned for, whether or not an observer is interested in it: the list
 * is what the application asks for, and observers pick their names from the events. The manager
 * is the one {@code @Inject LockManager} gets (D1); it is not opened when no name is listed.
 *
 * <p>Events are fired on each campaign's own thread (S3), so they come in order and never overlap
 * for one name. At shutdown the campaigns resign, each firing its {@link LeadershipRevoked}, when
 * CDI's {@link Shutdown} event is observed: before the application context, and with it the
 * manager, is destroyed.
 */
@Singleton
public class LeadershipCampaigns {

    private final Instance<LockManager> managers;
    private final Event<LeadershipGranted> granted;
    private final Event<LeadershipRevoked> revoked;

    /** The running campaigns; guarded by {@code this}. */
    private final List<Leadership> campaigns = new ArrayList<>();

    /** Set once shutdown begins: a leadership that ends from then on was resigned. */
    private volatile boolean resigning;

    /**
     * Creates the bean; the extension registers it.
     *
     * @param managers the application's manager, looked up only when a name is listed
     * @param granted where elections are told
     * @param revoked where ends of leadership are told
     */
    @Inject
    public LeadershipCampaigns(
            Instance<LockManager> managers, Event<LeadershipGranted> granted, Event<LeadershipRevoked> revoked) {
        this.managers = managers;
        this.granted = granted;
        this.revoked = revoked;
    }

    void start(@Observes Startup startup) {
        LeadershipSettings.read(DlmConfig.load()).ifPresent(this::campaign);
    }

    /** Early among shutdown observers, so that the application's own still see the revocations. */
    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) Shutdown shutdown) {
        resign();
    }

    /** Resigns here too in a container that destroys the bean without firing {@link Shutdown}. */
    @PreDestroy
    void destroy() {
        resign();
    }

    private synchronized void campaign(LeadershipSettings settings) {
        LockManager manager = managers.get();
        DlmMessages.campaigning(settings.names(), settings.clientId(), settings.lease());
        for (String name : settings.names()) {
            try {
                campaigns.add(manager.lead(name, settings.clientId(), settings.lease(), new Events(name, settings)));
            } catch (IllegalArgumentException invalid) {
                resign();
                throw DlmMessages.invalidLeadership(name, settings.clientId(), invalid);
            }
        }
    }

    /**
     * Closes every campaign at once, each on a thread of its own, and returns once all have told
     * their revocation (or given up, each within its own bound): so that shutdown with several
     * names, or an unreachable engine, waits for the slowest campaign, not for their sum.
     */
    private synchronized void resign() {
        resigning = true;
        List<Thread> closing = new ArrayList<>();
        for (Leadership campaign : campaigns) {
            Thread closer = new Thread(campaign::close, "dlm-resign");
            closer.setDaemon(true);
            closer.start();
            closing.add(closer);
        }
        try {
            for (Thread closer : closing) {
                closer.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        campaigns.clear();
    }

    /** Turns one campaign's calls into events; called on that campaign's thread only (S3). */
    private final class Events implements LeadershipListener {

        private final String name;
        private final String clientId;
        /** The token of the current or last term; touched by the campaign's thread alone. */
        private long fencingToken;

        Events(String name, LeadershipSettings settings) {
            this.name = name;
            this.clientId = settings.clientId();
        }

        @Override
        public void elected(Lease lease) {
            fencingToken = lease.fencingToken();
            fire(granted, new LeadershipGranted(name, clientId, fencingToken));
        }

        @Override
        public void revoked(LockException cause) {
            // A loss in the instant shutdown began counts as the resignation that would follow it.
            LeadershipRevoked.Reason reason =
                    resigning ? LeadershipRevoked.Reason.RESIGNED : LeadershipRevoked.Reason.LOST;
            fire(revoked, new LeadershipRevoked(name, clientId, fencingToken, reason));
        }
    }

    private static <T> void fire(Event<T> event, T payload) {
        try {
            event.fire(payload);
        } catch (RuntimeException e) {
            DlmMessages.observerFailed(payload, e);
        }
    }
}
