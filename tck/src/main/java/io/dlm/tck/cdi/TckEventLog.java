package io.dlm.tck.cdi;

import io.dlm.interceptor.LockEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records the lock events the interceptor fires. */
@ApplicationScoped
public class TckEventLog {

    private final List<LockEvent> events = new CopyOnWriteArrayList<>();

    /** For CDI's proxies. */
    public TckEventLog() {}

    void record(@Observes LockEvent event) {
        events.add(event);
    }

    /**
     * The events of one resource, in order.
     *
     * @param resourceId the resource
     * @return its events
     */
    public List<LockEvent> of(String resourceId) {
        return events.stream().filter(e -> e.resourceId().equals(resourceId)).toList();
    }
}
