package io.dlm.tck.cdi;

import io.dlm.interceptor.LeadershipGranted;
import io.dlm.interceptor.LeadershipRevoked;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The leadership events one node observed (S4), in order. A singleton without a client proxy, so the
 * TCK can still read it once its node has shut down.
 */
@Singleton
public class TckLeadershipLog {

    private final List<Object> events = new CopyOnWriteArrayList<>();

    /** For CDI. */
    public TckLeadershipLog() {}

    void granted(@Observes LeadershipGranted event) {
        events.add(event);
    }

    void revoked(@Observes LeadershipRevoked event) {
        events.add(event);
    }

    /**
     * The events so far.
     *
     * @return a copy, in the order they were fired
     */
    public List<Object> events() {
        return List.copyOf(events);
    }

    /**
     * The grants so far.
     *
     * @return a copy, in order
     */
    public List<LeadershipGranted> granted() {
        return events.stream()
                .filter(LeadershipGranted.class::isInstance)
                .map(LeadershipGranted.class::cast)
                .toList();
    }
}
