package io.dlm.interceptor;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.temporal.ChronoUnit;

/**
 * Runs a CDI bean method while holding a distributed lock (D2).
 *
 * <p>Before the call the lock on {@link #resource()} is acquired, waiting at most {@link
 * #timeout()}; while the method runs the runtime keeps its lease alive ({@code Lease.keepAlive()},
 * K1); after the method returns or throws the lock is released. A method that returns a {@link java.util.concurrent.CompletionStage} keeps
 * the lock until the stage completes. Each invocation is its own lock client, so the lock is not
 * reentrant: a nested call on the same thread for a resource its caller holds fails at once (D3).
 *
 * <p>When the lock is not acquired in time the method is not called and the caller gets {@code
 * io.dlm.LockException} with {@code RESOURCE_LOCKED} (D3), or, with {@link #whenLocked()} {@link
 * WhenLocked#SKIP SKIP}, an empty value at once (S1). When the lease is lost while the method
 * runs, the caller gets {@code LOCK_NOT_HELD} once the method returns (D4). With {@link
 * #holdAtLeast()} the lock outlives a short call, so that a job scheduled on several nodes runs
 * once per period (S2):
 *
 * <pre>{@code
 * @DistributedLock(whenLocked = WhenLocked.SKIP, holdAtLeast = 50, lease = 120, unit = ChronoUnit.SECONDS)
 * void nightlyReport() { ... }   // called every minute on every node; runs on one of them
 * }</pre>
 *
 * <p>On a class, the annotation applies to every business method of the bean; a method's own
 * annotation wins over the class's. Every member can be overridden with MicroProfile Config, read
 * once at deployment (D6): {@code <FQCN>/<method>/DistributedLock/<member>}, then {@code
 * <FQCN>/DistributedLock/<member>}, then {@code DistributedLock/<member>}. Invalid values fail the
 * deployment, naming bean and method (D5).
 *
 * <p>This artifact holds the binding only, so application code compiles against it alone; the
 * interceptor that implements it ships in {@code io.dlm:dlm-cdi}.
 */
@Inherited
@Documented
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface DistributedLock {

    /**
     * The resource to lock (D2). Placeholders in braces are replaced by the method's arguments:
     * {@code {orderId}} by parameter name (needs {@code javac -parameters}), {@code {0}} by
     * position, and {@code {order.id}} by a property path (getter {@code getId()}, then {@code
     * isId()}, then accessor {@code id()}, then a public field {@code id}); values become text
     * with {@link String#valueOf(Object)}. Templates are parsed and checked at deployment.
     *
     * @return the resource template; empty means {@code <FQCN of the declaring class>.<method>}
     */
    @Nonbinding
    String resource() default "";

    /**
     * How long to wait for the lock, in {@link #unit()}; {@code 0} tries once (D2, D3). {@link
     * Long#MAX_VALUE} waits as long as it takes.
     *
     * @return the wait, not negative (D5)
     */
    @Nonbinding
    long timeout() default 0;

    /**
     * The unit of {@link #timeout()}, {@link #lease()} and {@link #holdAtLeast()}; it must have an
     * exact duration (not {@code MONTHS}, {@code YEARS}, ...).
     *
     * @return the time unit
     */
    @Nonbinding
    ChronoUnit unit() default ChronoUnit.MILLIS;

    /**
     * The lease length, in {@link #unit()}; {@code -1} derives it from the timeout as {@code
     * LockManager.lock} does (rule E1: {@code max(dlm.lease.factor * timeout, dlm.lease.min)}).
     * The runtime renews it every third of it unless {@code dlm.heartbeat.interval} is set; a lease
     * that is not longer than that interval fails the deployment (D5).
     *
     * @return the lease, positive, or {@code -1}
     */
    @Nonbinding
    long lease() default -1;

    /**
     * Opt-in policy for a lost lease (D4): when {@code true}, the thread running the method is
     * interrupted as soon as the loss is known (for a method returning a {@code CompletionStage},
     * the returned stage fails at once instead). The loss is reported either way.
     *
     * @return whether to interrupt the method on lease loss
     */
    @Nonbinding
    boolean interruptOnLeaseLoss() default false;

    /**
     * What to do when the lock is not acquired within {@link #timeout()} (S1): {@link
     * WhenLocked#FAIL} throws {@code LockException(RESOURCE_LOCKED)} (D3); {@link WhenLocked#SKIP}
     * returns an empty value at once without calling the method and fires {@link LockSkipped}.
     * With {@code SKIP}, a nested call on the same thread for a resource its caller holds is
     * skipped too, instead of failing (D3).
     *
     * @return the policy; {@code FAIL} by default
     */
    @Nonbinding
    WhenLocked whenLocked() default WhenLocked.FAIL;

    /**
     * How long, in {@link #unit()}, the lock stays held at least, counted from its acquisition
     * (S2). When the method returns earlier, the call returns at once and the runtime keeps the
     * lease alive and releases it in the background once that time has passed; {@code 0} releases
     * as the method returns. For a method returning a {@code CompletionStage}, the stage's
     * completion counts as the return.
     *
     * <p>As with ShedLock's {@code lockAtLeastFor}, the lock is held on when the method threw, too:
     * a job that failed on one node is not run again by another node within the same period. A
     * lease lost while the method ran is reported as always (D4), and there is nothing left to
     * hold. {@link LockReleased} is fired when the runtime actually released the lock.
     *
     * @return the minimum hold time, not negative (D5); {@code 0} by default
     */
    @Nonbinding
    long holdAtLeast() default 0;
}
