package io.dlm.it.quarkus;

import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Three nodes that call {@link ScheduledReport#run} from Quarkus's own scheduler every four seconds
 * (S1, S2). They share this application's lock manager, but each call is its own lock client (D2),
 * so they exclude each other as three servers would.
 *
 * <p>Quarkus's scheduler checks its triggers once a second, so {@code delay} cannot stagger them by
 * less than that, and a firing may run up to a second after its time, by an amount that changes from
 * tick to tick (all three nodes' firings of one tick come from the same check). The nodes fire on a
 * cron schedule, on the same seconds (with {@code every} each trigger would count from its own start,
 * perhaps a second apart): nodes {@code a} and {@code b} fire at the same instant (the race the lock
 * decides alone), and node {@code late}, a node whose clock is {@value #LATE_MILLIS} ms behind,
 * waits that long after firing (the case {@code holdAtLeast} is for).
 *
 * <p>Off unless {@code it.scheduled-report.cron} is set, so only ScheduledJobOnQuarkusTest's
 * application runs them.
 */
@ApplicationScoped
public class ScheduledNodes {

    /** How far node {@code late}'s clock lags the others'. */
    public static final long LATE_MILLIS = 500;

    /** The nodes' names. */
    public static final List<String> NAMES = List.of("a", "b", "late");

    @Inject
    ScheduledReport report;

    private final Map<Long, List<String>> called = new ConcurrentHashMap<>();

    private final List<RuntimeException> failures = new CopyOnWriteArrayList<>();

    /** What each call did and when, by tick: read when a tick went wrong. */
    private final Map<Long, List<String>> timings = new ConcurrentHashMap<>();

    /** For ArC's client proxy. */
    public ScheduledNodes() {}

    @Scheduled(cron = "${it.scheduled-report.cron:off}")
    void a(ScheduledExecution execution) {
        call(execution, "a");
    }

    @Scheduled(cron = "${it.scheduled-report.cron:off}")
    void b(ScheduledExecution execution) {
        call(execution, "b");
    }

    @Scheduled(cron = "${it.scheduled-report.cron:off}")
    void late(ScheduledExecution execution) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(LATE_MILLIS);
        call(execution, "late");
    }

    private void call(ScheduledExecution execution, String node) {
        // The tick is the firing the scheduler meant, the same for all three nodes.
        long tick =
                execution.getScheduledFireTime().truncatedTo(ChronoUnit.SECONDS).getEpochSecond();
        long calledAt = System.currentTimeMillis();
        try {
            report.run(tick, node);
        } catch (RuntimeException e) {
            failures.add(e);
        }
        long returnedAt = System.currentTimeMillis();
        timings.computeIfAbsent(tick, t -> new CopyOnWriteArrayList<>())
                .add(node + " called +" + (calledAt - tick * 1_000) + " ms, returned +"
                        + (returnedAt - tick * 1_000) + " ms");
        called.computeIfAbsent(tick, t -> new CopyOnWriteArrayList<>()).add(node);
    }

    /**
     * When each node called the job and when the call returned, in milliseconds after the tick.
     *
     * @return a copy, in no order
     */
    public Map<Long, List<String>> timings() {
        return Map.copyOf(timings);
    }

    /**
     * The nodes whose call of the job has returned (run or skipped), by tick.
     *
     * @return a copy, in no order
     */
    public Map<Long, List<String>> called() {
        return Map.copyOf(called);
    }

    /**
     * The calls of the job that threw.
     *
     * @return their exceptions
     */
    public List<RuntimeException> failures() {
        return List.copyOf(failures);
    }
}
