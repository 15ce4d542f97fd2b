package io.dlm.tck;

import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Renewal;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * Faults the TCK injects at single calls of a real backend, while the engine does the rest: a lost
 * or late acquisition reply (X5, K2), renewals that never answer (K1, K3), and a count of the
 * renewals sent (K1). One instance serves one test; {@link #heal()} ends every hang it caused.
 *
 * <p>The wrapper is a dynamic proxy with every SPI interface of the real backend, so the runtime
 * sees the same capabilities (watching, asynchronous renewal), except {@link InProcessLockBackend}:
 * an in-process backend's renewals are trusted never to block, which a hung renewal would break.
 */
final class InjectedFaults implements UnaryOperator<LockBackend> {

    /** Thrown where an engine's reply was lost. */
    static final class LostReply extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LostReply(String operation) {
            super("the TCK dropped the reply of " + operation);
        }
    }

    private final Set<String> hangRenewalsOf = ConcurrentHashMap.newKeySet();
    private final Set<String> loseAcquireRepliesOf = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Duration> delayAcquireRepliesOf = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Duration> delayRenewalRepliesOf = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Duration> slowCallsOf = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> renewals = new ConcurrentHashMap<>();
    private final List<CompletableFuture<Boolean>> hungAnswers = new ArrayList<>();
    private final CountDownLatch healed = new CountDownLatch(1);

    /** From now on, renewals of this resource are sent to nobody and never answered. */
    InjectedFaults hangRenewals(String resourceId) {
        hangRenewalsOf.add(resourceId);
        return this;
    }

    /** From now on, acquisitions of this resource are applied by the engine, then the reply is lost. */
    InjectedFaults loseAcquireReplies(String resourceId) {
        loseAcquireRepliesOf.add(resourceId);
        return this;
    }

    /** Stops losing acquisition replies of this resource. */
    InjectedFaults deliverAcquireReplies(String resourceId) {
        loseAcquireRepliesOf.remove(resourceId);
        return this;
    }

    /** From now on, acquisitions of this resource are applied at once and answered {@code delay} later. */
    InjectedFaults delayAcquireReplies(String resourceId, Duration delay) {
        delayAcquireRepliesOf.put(resourceId, delay);
        return this;
    }

    /**
     * From now on, every call about this resource (acquire, inspect, watch) takes {@code delay}
     * longer: a slow engine, still within the operation timeout.
     */
    InjectedFaults slowDown(String resourceId, Duration delay) {
        slowCallsOf.put(resourceId, delay);
        return this;
    }

    /** From now on, renewals of this resource are applied at once and answered {@code delay} later. */
    InjectedFaults delayRenewalReplies(String resourceId, Duration delay) {
        delayRenewalRepliesOf.put(resourceId, delay);
        return this;
    }

    /** How many renewals of the resource the runtime has sent through this wrapper. */
    int renewalsOf(String resourceId) {
        AtomicInteger count = renewals.get(resourceId);
        return count == null ? 0 : count.get();
    }

    /** Ends every hung renewal (answered as failed), so that no thread of a test stays blocked. */
    void heal() {
        hangRenewalsOf.clear();
        healed.countDown();
        synchronized (hungAnswers) {
            hungAnswers.forEach(answer -> answer.completeExceptionally(new LostReply("renew")));
            hungAnswers.clear();
        }
    }

    @Override
    public LockBackend apply(LockBackend real) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> type = real.getClass(); type != null; type = type.getSuperclass()) {
            collect(type, interfaces);
        }
        interfaces.remove(InProcessLockBackend.class);
        interfaces.add(LockBackend.class);
        return (LockBackend) Proxy.newProxyInstance(
                InjectedFaults.class.getClassLoader(), interfaces.toArray(Class<?>[]::new), new Handler(real));
    }

    private static void collect(Class<?> type, Set<Class<?>> into) {
        for (Class<?> implemented : type.getInterfaces()) {
            if (LockBackend.class.isAssignableFrom(implemented)) {
                into.add(implemented);
            }
            collect(implemented, into);
        }
    }

    private final class Handler implements InvocationHandler {
        private final LockBackend real;

        Handler(LockBackend real) {
            this.real = real;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            String name = method.getName();
            if (method.getDeclaringClass() == Object.class) {
                return switch (name) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> "InjectedFaults[" + real + "]";
                };
            }
            String resource = args != null && args.length > 0 && args[0] instanceof String s ? s : null;
            Duration slow = resource == null ? null : slowCallsOf.get(resource);
            if (slow != null && (name.equals("acquire") || name.equals("inspect") || name.equals("watch"))) {
                RuleGroup.sleepUntil(System.nanoTime() + slow.toNanos());
            }
            if (name.equals("acquire") && resource != null) {
                Acquisition applied = (Acquisition) call(method, args);
                Duration delay = delayAcquireRepliesOf.get(resource);
                if (delay != null) {
                    RuleGroup.sleepUntil(System.nanoTime() + delay.toNanos());
                }
                if (loseAcquireRepliesOf.contains(resource)) {
                    throw new LostReply("acquire of " + resource);
                }
                return applied;
            }
            if (name.equals("renewAll")) {
                return renewAll(method, args);
            }
            if ((name.equals("renew") || name.equals("renewAsync")) && resource != null) {
                renewals.computeIfAbsent(resource, r -> new AtomicInteger()).incrementAndGet();
                if (hangRenewalsOf.contains(resource)) {
                    return hang(name);
                }
                Duration late = delayRenewalRepliesOf.get(resource);
                if (late != null) {
                    return late(name, call(method, args), late);
                }
            }
            return call(method, args);
        }

        /**
         * A batch of renewals (BatchRenewingLockBackend) counts each item, hangs as a whole when one
         * item's renewals hang (as a statement batch waits for one row's lock), and is answered as
         * late as its latest item's delay.
         */
        private Object renewAll(Method method, Object[] args) throws Throwable {
            @SuppressWarnings("unchecked")
            List<Renewal> items = (List<Renewal>) args[0];
            Duration latest = null;
            for (Renewal item : items) {
                renewals.computeIfAbsent(item.resourceId(), r -> new AtomicInteger())
                        .incrementAndGet();
                Duration late = delayRenewalRepliesOf.get(item.resourceId());
                if (late != null && (latest == null || late.compareTo(latest) > 0)) {
                    latest = late;
                }
            }
            for (Renewal item : items) {
                if (hangRenewalsOf.contains(item.resourceId())) {
                    return hang("renewAll");
                }
            }
            Object answer = call(method, args);
            if (latest != null) {
                RuleGroup.sleepUntil(System.nanoTime() + latest.toNanos());
            }
            return answer;
        }

        private Object hang(String name) throws InterruptedException {
            if (name.equals("renewAsync")) {
                CompletableFuture<Boolean> never = new CompletableFuture<>();
                synchronized (hungAnswers) {
                    hungAnswers.add(never);
                }
                return never;
            }
            // A blocking renewal that does not come back until the test heals or the pool stops.
            healed.await();
            throw new LostReply("renew");
        }

        @SuppressWarnings("unchecked")
        private Object late(String name, Object answer, Duration delay) {
            if (name.equals("renewAsync")) {
                CompletableFuture<Boolean> delayed = new CompletableFuture<>();
                Executor later = CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS);
                ((CompletionStage<Boolean>) answer)
                        .whenComplete((renewed, failure) -> later.execute(() -> {
                            if (failure != null) {
                                delayed.completeExceptionally(failure);
                            } else {
                                delayed.complete(renewed);
                            }
                        }));
                return delayed;
            }
            RuleGroup.sleepUntil(System.nanoTime() + delay.toNanos());
            return answer;
        }

        private Object call(Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(real, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
