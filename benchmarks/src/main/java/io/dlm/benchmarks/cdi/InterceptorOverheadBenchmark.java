package io.dlm.benchmarks.cdi;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.benchmarks.BenchmarkMetrics;
import io.dlm.cdi.DlmExtension;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jboss.weld.environment.se.Weld;
import org.jboss.weld.environment.se.WeldContainer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The cost of {@code @DistributedLock} per call: an intercepted no-op method against the lock
 * work it wraps done by hand, and against the same no-op method without the annotation, all on
 * the {@code memory} backend in one Weld SE container.
 *
 * <ul>
 *   <li>{@code plain}: {@link PlainBean#work()}, an {@code @ApplicationScoped} bean's no-op method
 *       through Weld's client proxy; the floor.
 *   <li>{@code passThrough}: {@link PassThroughBean#work()}, the same no-op under an interceptor
 *       that only proceeds ({@link PassThroughInterceptor}): what Weld's interception costs before
 *       any DLM code runs.
 *   <li>{@code direct}: {@code lock("bench", client, 0)} then {@code unlock("bench", client)} on
 *       the container's {@link LockManager} (the bean the interceptor uses, through its client
 *       proxy), with one fixed client id.
 *   <li>{@code directLease}: {@code tryAcquire("bench", client, 0, 1s)} then {@link
 *       Lease#release()}; 1 s is the lease rule E1 gives {@code timeout = 0} with the default
 *       {@code dlm.lease.min}.
 *   <li>{@code directKeptAlive}: the calls the interceptor itself makes: the same, with {@link
 *       Lease#keepAlive()} and a callback on {@link Lease#lost()} between acquire and release, so
 *       the runtime books and cancels the lease's keep-alive timer (K1, K3).
 *   <li>{@code intercepted}: {@link LockedBean#work()}, the same no-op under {@code
 *       @DistributedLock(resource = "bench", timeout = 0)}: plan lookup, nested-call check, a new
 *       client id, acquire, keep-alive started and stopped, context push and pop, release.
 * </ul>
 *
 * <p>{@link InterceptorPartsBenchmark} prices the pieces of the interceptor's own work.
 *
 * <p>The interceptor's overhead is {@code intercepted - direct} (and {@code intercepted -
 * directLease}, which leaves the backend's own cost out entirely); {@code directKeptAlive -
 * directLease} is what the runtime's keep-alive adds to each call. One thread, so the fixed
 * resource never contends; no event observers, so no events are fired. Weld starts once per fork
 * ({@code Level.Trial}) with discovery off, the DLM extension and the beans, and
 * configuration from defaults (SmallRye Config, nothing set: {@code dlm.backend=memory}).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar InterceptorOverheadBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar InterceptorOverheadBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc
 * java -jar benchmarks/target/benchmarks.jar InterceptorOverheadBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -bm sample
 * java -jar benchmarks/target/benchmarks.jar InterceptorOverheadBenchmark.intercepted -f 1 -wi 3 -w 1s -i 5 -r 1s -prof stack
 * }</pre>
 *
 * <p>{@code metrics} prices DLM's O1 metrics ({@link BenchmarkMetrics}), {@code none} by default:
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar 'InterceptorOverheadBenchmark.(direct|intercepted)$' -p metrics=none,observer,sdk -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class InterceptorOverheadBenchmark {

    private static final Duration NO_WAIT = Duration.ZERO;
    private static final Duration LEASE = Duration.ofSeconds(1);

    private final String clientId = "bench-client";

    /** O1 metrics: {@code none} (no SDK), {@code observer} or {@code sdk}. */
    @Param({"none"})
    String metrics;

    private BenchmarkMetrics installedMetrics;

    private WeldContainer container;
    private PlainBean plain;
    private PassThroughBean passThrough;
    private LockedBean locked;
    private LockManager manager;

    /** Starts Weld with the DLM extension and the beans, and looks them up once. */
    @Setup(Level.Trial)
    public void start() {
        installedMetrics = BenchmarkMetrics.install(metrics);
        container = new Weld()
                .containerId("dlm-bench-" + System.nanoTime())
                .disableDiscovery()
                // With discovery off, Weld SE skips META-INF/services; add the extension itself.
                .addExtension(new DlmExtension())
                .addBeanClasses(PlainBean.class, PassThroughBean.class, PassThroughInterceptor.class, LockedBean.class)
                .initialize();
        plain = container.select(PlainBean.class).get();
        passThrough = container.select(PassThroughBean.class).get();
        locked = container.select(LockedBean.class).get();
        manager = container.select(LockManager.class).get();
        // Fail fast if the interceptor is not bound: a nested call on the held resource must fail.
        if (!manager.lock(LockedBean.RESOURCE, clientId, 0)) {
            throw new IllegalStateException("could not take " + LockedBean.RESOURCE);
        }
        try {
            locked.work();
            throw new IllegalStateException("LockedBean.work() is not intercepted");
        } catch (io.dlm.LockException expected) {
            // Intercepted: the resource is held, so the call was refused.
        } finally {
            manager.unlock(LockedBean.RESOURCE, clientId);
        }
    }

    /** Shuts Weld down, which closes the lock manager and with it the runtime's keep-alive threads. */
    @TearDown(Level.Trial)
    public void stop() {
        container.shutdown();
        installedMetrics.close();
    }

    /** The floor: a no-op call through Weld's client proxy. */
    @Benchmark
    public void plain() {
        plain.work();
    }

    /** Weld's interception alone: the no-op under an interceptor that only proceeds. */
    @Benchmark
    public void passThrough() {
        passThrough.work();
    }

    /** Lock and unlock by hand on the container's manager. */
    @Benchmark
    public void direct(Blackhole bh) {
        bh.consume(manager.lock(LockedBean.RESOURCE, clientId, 0));
        bh.consume(manager.unlock(LockedBean.RESOURCE, clientId));
    }

    /** The interceptor's own manager calls by hand: {@code tryAcquire} and {@code release}. */
    @Benchmark
    public void directLease(Blackhole bh) {
        Optional<Lease> lease = manager.tryAcquire(LockedBean.RESOURCE, clientId, NO_WAIT, LEASE);
        bh.consume(lease.isPresent() && lease.get().release());
    }

    /** The interceptor's manager calls by hand: acquire, keep alive, listen for a loss, release. */
    @Benchmark
    public void directKeptAlive(Blackhole bh) {
        Optional<Lease> acquired = manager.tryAcquire(LockedBean.RESOURCE, clientId, NO_WAIT, LEASE);
        if (acquired.isPresent()) {
            Lease lease = acquired.get().keepAlive();
            lease.lost().thenAccept(bh::consume);
            bh.consume(lease.release());
        }
    }

    /** The no-op method under {@code @DistributedLock}. */
    @Benchmark
    public void intercepted() {
        locked.work();
    }
}
