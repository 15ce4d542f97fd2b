package io.dlm.it.quarkus;

import io.dlm.interceptor.LeadershipGranted;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps the terms this application was granted for the names in {@code dlm.leadership.names} (S4). */
@ApplicationScoped
public class LeadershipLog {

    private final List<LeadershipGranted> granted = new CopyOnWriteArrayList<>();

    /** For ArC's client proxy. */
    public LeadershipLog() {}

    void record(@Observes LeadershipGranted event) {
        granted.add(event);
    }

    /**
     * The terms granted so far, in order.
     *
     * @return the events
     */
    public List<LeadershipGranted> granted() {
        return List.copyOf(granted);
    }
}
