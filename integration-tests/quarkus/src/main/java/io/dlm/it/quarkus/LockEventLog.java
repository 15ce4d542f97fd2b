package io.dlm.it.quarkus;

import io.dlm.interceptor.LockEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every lock event the interceptor fires (D4). */
@ApplicationScoped
public class LockEventLog {

    private final List<LockEvent> events = new CopyOnWriteArrayList<>();

    /** For ArC's client proxy. */
    public LockEventLog() {}

    void record(@Observes LockEvent event) {
        events.add(event);
    }

    /**
     * The events of one resource, in the order fired.
     *
     * @param resourceId the resource
     * @return its events
     */
    public List<LockEvent> of(String resourceId) {
        return events.stream().filter(e -> e.resourceId().equals(resourceId)).toList();
    }
}
