package io.dlm.cdi;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.interceptor.DistributedLock;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Intercepted;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@link DistributedLock} methods under their lock (D2-D4): acquires before the call, has the
 * runtime keep the lease alive while it runs (K1), releases after it returns or throws, and reports
 * a lost lease as soon as the runtime knows of it (K3). A lock not acquired fails the call (D3) or
 * skips it (S1); with {@code holdAtLeast} the release is handed to the runtime, which sends it in
 * the background once the lock was held that long (S2).
 *
 * <p>Everything that does not depend on the call was worked out at deployment ({@link LockPlan});
 * a call looks up its method's plan in a map of the bean's plans, renders the resource id and
 * talks to the {@link LockManager}. The priority ({@value #PRIORITY}) places the lock inside
 * platform interceptors such as transactions' and fault tolerance's; {@code
 * dlm.interceptor.priority} changes it.
 */
@Interceptor
@DistributedLock
@Priority(DistributedLockInterceptor.PRIORITY)
public class DistributedLockInterceptor {

    /** The default priority: {@code Interceptor.Priority.PLATFORM_AFTER + 100}. */
    public static final int PRIORITY = Interceptor.Priority.PLATFORM_AFTER + 100;

    private final Map<Method, LockPlan> plans;
    private final @Nullable Class<?> beanClass;
    private final LockPlans deployment;
    private final LockManager manager;
    private final ThreadLockContext context;
    private final LockEvents events;

    /**
     * Creates the interceptor of one bean instance.
     *
     * @param bean the intercepted bean, whose class keys the plans; Weld cannot always tell it
     *     (pseudo-scoped beans), and then the plans are found by method
     * @param deployment the deployment's plans
     * @param manager the lock manager (D1)
     * @param context this thread's held locks (D3) and the fencing token for business code
     * @param events fires lock events
     */
    @Inject
    public DistributedLockInterceptor(
            @Intercepted @Nullable Bean<?> bean,
            LockPlans deployment,
            LockManager manager,
            ThreadLockContext context,
            LockEvents events) {
        this.beanClass = bean == null ? null : bean.getBeanClass();
        this.plans = beanClass == null ? Map.of() : deployment.plansOf(beanClass);
        this.deployment = deployment;
        this.manager = manager;
        this.context = context;
        this.events = events;
    }

    /**
     * Runs one call under its lock.
     *
     * @param invocation the call
     * @return the method's result; for a {@code CompletionStage}, a stage that completes after the
     *     lock was released (or handed to the runtime to release later, S2); the plan's empty value
     *     when the call was skipped (S1)
     * @throws Exception what the method threw, or {@link LockException}: {@code RESOURCE_LOCKED}
     *     when the lock was not acquired in time or a caller on this thread holds it (D3) and the
     *     method does not skip (S1), {@code LOCK_NOT_HELD} when the lease was lost during the call
     *     (D4)
     */
    @AroundInvoke
    public @Nullable Object lock(InvocationContext invocation) throws Exception {
        Method method = invocation.getMethod();
        LockPlan plan = plans.get(method);
        if (plan == null) {
            plan = deployment.latePlan(beanClass, method);
            if (plan == null) {
                return invocation.proceed();
            }
        }
        String resourceId = plan.resource().render(invocation.getParameters());
        ThreadLockContext.Frames frames = context.frames();
        if (frames.contains(resourceId)) {
            if (plan.skip()) {
                // Waiting would be waiting for itself (D3); a skipping method skips without waiting.
                return skip(plan, resourceId, ClientIds.next(), Duration.ZERO);
            }
            throw DlmMessages.nestedCall(resourceId, plan.operation());
        }
        String clientId = ClientIds.next();
        Optional<Lease> acquired = manager.tryAcquire(resourceId, clientId, plan.waitTime(), plan.lease());
        if (acquired.isEmpty()) {
            if (plan.skip()) {
                return skip(plan, resourceId, clientId, plan.waitTime());
            }
            events.waitTimedOut(resourceId, clientId, plan.waitTime(), plan.operation());
            throw DlmMessages.notAcquired(resourceId, plan.operation(), plan.waitTime());
        }
        Lease lease = acquired.get();
        HeldLock lock = new HeldLock(resourceId, clientId, lease.fencingToken());
        return plan.async()
                ? callAsync(invocation, plan, lease, lock, frames)
                : call(invocation, plan, lease, lock, frames);
    }

    /** Skips a call whose lock was not acquired (S1): the method is not called. */
    private @Nullable Object skip(LockPlan plan, String resourceId, String clientId, Duration waited) {
        events.skipped(resourceId, clientId, waited, plan.operation());
        return plan.emptyResult().get();
    }

    private @Nullable Object call(
            InvocationContext invocation, LockPlan plan, Lease lease, HeldLock lock, ThreadLockContext.Frames frames)
            throws Exception {
        Thread caller = plan.interruptOnLeaseLoss() ? Thread.currentThread() : null;
        LeaseGuard guard = LeaseGuard.watch(lease, lock, plan.operation(), events, caller, null);
        // After the keep-alive started: a slow observer must not cost the lease (K1).
        events.acquired(lock, plan.operation());
        Object result = null;
        Throwable failure = null;
        frames.push(lock);
        try {
            result = invocation.proceed();
        } catch (Throwable t) {
            failure = t;
        } finally {
            frames.pop();
        }
        if (guard.stop()) {
            // The guard interrupted this thread because the lease was lost; the caller learns it
            // from LOCK_NOT_HELD, so the interrupt does not leak out of the call.
            Thread.interrupted();
        }
        LockException problem = finish(guard, lease, lock, plan);
        return outcome(result, failure, problem);
    }

    private Object callAsync(
            InvocationContext invocation, LockPlan plan, Lease lease, HeldLock lock, ThreadLockContext.Frames frames)
            throws Exception {
        CompletableFuture<@Nullable Object> outcome = new CompletableFuture<>();
        Consumer<LeaseLost.Reason> failEarly = plan.interruptOnLeaseLoss()
                ? reason -> outcome.completeExceptionally(DlmMessages.leaseLost(lock, plan.operation(), reason))
                : null;
        LeaseGuard guard = LeaseGuard.watch(lease, lock, plan.operation(), events, null, failEarly);
        events.acquired(lock, plan.operation());
        Object stage;
        frames.push(lock);
        try {
            stage = invocation.proceed();
        } catch (Throwable t) {
            frames.pop();
            guard.stop();
            return outcome(null, t, finish(guard, lease, lock, plan));
        }
        frames.pop();
        if (stage == null) {
            guard.stop();
            return outcome(null, null, finish(guard, lease, lock, plan));
        }
        ((CompletionStage<?>) stage).whenComplete((value, thrown) -> {
            guard.stop();
            LockException problem = finish(guard, lease, lock, plan);
            Throwable failure =
                    thrown instanceof CompletionException && thrown.getCause() != null ? thrown.getCause() : thrown;
            if (failure != null) {
                if (problem != null) {
                    failure.addSuppressed(problem);
                }
                outcome.completeExceptionally(failure);
            } else if (problem != null) {
                outcome.completeExceptionally(problem);
            } else {
                outcome.complete(value);
            }
        });
        return outcome;
    }

    /**
     * Ends the call's hold on the lock, after {@link LeaseGuard#stop()}, and tells how the lease
     * ended (D4). With {@code holdAtLeast} and a lease still held, hands it to the runtime, which
     * keeps it alive and releases it once it was held that long (S2); a loss after that is past the
     * call's business. Whether the method returned or threw does not matter: a job that failed is
     * not rerun elsewhere within the hold either. Otherwise releases at once.
     *
     * <p>"Still held" is asked of the engine with one renewal, the counterpart of the release that
     * D4 counts on: a lease the runtime thinks valid may still have been taken away (an operator's
     * unlock), and a renewal refused, like a release refused, makes the call fail with {@code
     * LOCK_NOT_HELD}. It costs the caller the round trip the release would have cost.
     *
     * @return {@code null} if the lease was held to the end, else the exception for the caller
     */
    private @Nullable LockException finish(LeaseGuard guard, Lease lease, HeldLock lock, LockPlan plan) {
        if (guard.holdLeft(plan.holdAtLeast()) && guard.lost() == null && confirmHeld(lease)) {
            CompletionStage<Boolean> released;
            try {
                released = lease.releaseAfterHolding(plan.holdAtLeast());
            } catch (IllegalStateException closed) {
                // The manager closed meanwhile (C1): the release below reports the lease's end.
                return release(guard, lease, lock, plan);
            }
            if (events.releaseObserved()) {
                // Fired when the lock is free, which observers can rely on; a lease lost during
                // the hold was released by nobody and expires, so nothing is fired for it.
                released.thenAccept(done -> {
                    if (done) {
                        events.released(lock, plan.operation());
                    }
                });
            }
            return null;
        }
        return release(guard, lease, lock, plan);
    }

    /**
     * Tells whether the engine still has the lease, by renewing it (K4: this acquisition only).
     *
     * @return {@code false} when the engine refused it or the manager closed; the release then
     *     decides what the caller hears, as without {@code holdAtLeast}. An engine that did not
     *     answer leaves the question to the local deadline (K2): a lease still valid is held on, and
     *     the keep-alive goes on trying, rather than released early and the job run again elsewhere.
     */
    private static boolean confirmHeld(Lease lease) {
        try {
            return lease.renew();
        } catch (LockException engineFailure) {
            return lease.isValid();
        } catch (IllegalStateException closed) {
            return false;
        }
    }

    /**
     * Releases, which stops the keep-alive before the release is sent (D4), and tells how the lease
     * ended. Called after {@link LeaseGuard#stop()}.
     *
     * @return {@code null} if the lease was held to the end, else the exception for the caller
     */
    private @Nullable LockException release(LeaseGuard guard, Lease lease, HeldLock lock, LockPlan plan) {
        boolean released;
        try {
            released = lease.release();
        } catch (LockException e) {
            // The engine failed: the lock may still be held and will expire by its lease (X1).
            LeaseLost.Reason lost = guard.lost();
            return lost != null ? DlmMessages.leaseLost(lock, plan.operation(), lost) : e;
        } catch (IllegalStateException closed) {
            released = false;
        }
        if (!released) {
            return DlmMessages.leaseLost(lock, plan.operation(), guard.lostOnRelease());
        }
        LeaseLost.Reason lost = guard.lost();
        if (lost != null) {
            // Reported lost, yet released: a manager that is not this runtime may answer so; the
            // method ran without the lock for a while all the same (D4).
            return DlmMessages.leaseLost(lock, plan.operation(), lost);
        }
        events.released(lock, plan.operation());
        return null;
    }

    private static @Nullable Object outcome(
            @Nullable Object result, @Nullable Throwable failure, @Nullable LockException problem) throws Exception {
        if (failure != null) {
            if (problem != null) {
                failure.addSuppressed(problem);
            }
            if (failure instanceof Exception exception) {
                throw exception;
            }
            if (failure instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(failure);
        }
        if (problem != null) {
            throw problem;
        }
        return result;
    }
}
