package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * V2 and X4: every invalid argument of every method throws {@link IllegalArgumentException} naming
 * the parameter as the signature spells it, before anything else happens, and a failed call leaves
 * the lock as it was.
 */
abstract class ArgumentRules extends RuleGroup {

    ArgumentRules(LockManagerTck tck) {
        super(tck);
    }

    /** Invalid ids: null, empty, one char too long, an unpaired high and low surrogate. */
    private static @Nullable String[] invalidIds() {
        char[] tooLong = new char[1025];
        Arrays.fill(tooLong, 'x');
        return new String[] {null, "", new String(tooLong), "lone\uD800", "\uDC00lone"};
    }

    @Test
    void V2_invalidResourceIdsAreRejectedByEveryMethod() {
        LockManager manager = manager();
        String client = client("c");
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        for (@Nullable String bad : invalidIds()) {
            String shown = describe(bad);
            calls.put("lock(" + shown + ")", () -> manager.lock(bad, client, 0));
            calls.put("unlock(" + shown + ")", () -> manager.unlock(bad, client));
            calls.put("heartbeat(" + shown + ")", () -> manager.heartbeat(bad, client));
            calls.put(
                    "tryAcquire(" + shown + ")",
                    () -> manager.tryAcquire(bad, client, Duration.ZERO, Duration.ofSeconds(1)));
            calls.put("inspect(" + shown + ")", () -> manager.inspect(bad));
        }
        assertAllRejected(calls, "resourceId");
    }

    @Test
    void V2_invalidClientIdsAreRejectedByEveryMethod() {
        LockManager manager = manager();
        String resource = resource();
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        for (@Nullable String bad : invalidIds()) {
            String shown = describe(bad);
            calls.put("lock(r, " + shown + ")", () -> manager.lock(resource, bad, 0));
            calls.put("unlock(r, " + shown + ")", () -> manager.unlock(resource, bad));
            calls.put("heartbeat(r, " + shown + ")", () -> manager.heartbeat(resource, bad));
            calls.put(
                    "tryAcquire(r, " + shown + ")",
                    () -> manager.tryAcquire(resource, bad, Duration.ZERO, Duration.ofSeconds(1)));
        }
        assertAllRejected(calls, "clientId");
        assertFree(manager, resource);
    }

    @Test
    void V2_negativeTimeoutIsRejectedNamingTimeoutMillis() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put("lock(r, c, -1)", () -> manager.lock(resource, client, -1));
        calls.put("lock(r, c, Long.MIN_VALUE)", () -> manager.lock(resource, client, Long.MIN_VALUE));
        assertAllRejected(calls, "timeoutMillis");
        assertFree(manager, resource);
    }

    @Test
    void V2_nullOrNegativeWaitIsRejectedNamingWait() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        Duration lease = Duration.ofSeconds(1);
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put("wait null", () -> manager.tryAcquire(resource, client, null, lease));
        calls.put("wait -1ns", () -> manager.tryAcquire(resource, client, Duration.ofNanos(-1), lease));
        calls.put("wait -1s", () -> manager.tryAcquire(resource, client, Duration.ofSeconds(-1), lease));
        calls.put(
                "wait most negative",
                () -> manager.tryAcquire(resource, client, Duration.ofSeconds(Long.MIN_VALUE), lease));
        assertAllRejected(calls, "wait");
        assertFree(manager, resource);
    }

    @Test
    void V2_nullZeroOrNegativeLeaseTimeIsRejectedNamingLeaseTime() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put("leaseTime null", () -> manager.tryAcquire(resource, client, Duration.ZERO, null));
        calls.put("leaseTime 0", () -> manager.tryAcquire(resource, client, Duration.ZERO, Duration.ZERO));
        calls.put("leaseTime -1ns", () -> manager.tryAcquire(resource, client, Duration.ZERO, Duration.ofNanos(-1)));
        calls.put("leaseTime -1s", () -> manager.tryAcquire(resource, client, Duration.ZERO, Duration.ofSeconds(-1)));
        assertAllRejected(calls, "leaseTime");
        assertFree(manager, resource);
    }

    @Test
    void V2_argumentsAreCheckedBeforeTheHolderIsRecognised() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        // A holder asking again with a bad argument must hear about the argument, not about L3.
        assertThatThrownBy(() -> manager.lock(resource, holder, -1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeoutMillis");
        assertThatThrownBy(() -> manager.tryAcquire(resource, holder, Duration.ofMillis(-1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("wait");
        assertThatThrownBy(() -> manager.tryAcquire(resource, holder, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaseTime");
        assertHeldBy(manager, resource, holder);
    }

    @Test
    void V2_rejectedCallsLeaveAHeldLockAsItWas() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        LockInfo before = holder(manager, resource);
        for (@Nullable String bad : invalidIds()) {
            assertThatThrownBy(() -> manager.unlock(resource, bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> manager.heartbeat(resource, bad)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> manager.lock(resource, bad, 0)).isInstanceOf(IllegalArgumentException.class);
        }
        // A too-long id whose first 1024 chars are the real ids must not be truncated into them.
        String longer = resource + "x".repeat(1025 - resource.length());
        assertThatThrownBy(() -> manager.unlock(longer, holder)).isInstanceOf(IllegalArgumentException.class);
        assertUnchanged(manager, holder, before);
        assertThat(manager.unlock(resource, holder)).isTrue();
    }

    @Test
    void X4_failedCallsLeaveTheStateAsBeforeTheCall() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String other = client("other");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        LockInfo before = holder(manager, resource);

        assertThatThrownBy(() -> manager.lock(resource, holder, 0))
                .isInstanceOf(LockException.class)
                .extracting(e -> ((LockException) e).error())
                .isEqualTo(LockError.RESOURCE_LOCKED);
        assertThatThrownBy(() -> manager.tryAcquire(resource, other, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> manager.lock(resource, other, -5)).isInstanceOf(IllegalArgumentException.class);

        assertUnchanged(manager, holder, before);
        // The failed calls left no half-made state behind: the lock works as before for everyone.
        assertThat(manager.lock(resource, other, 0)).isFalse();
        assertThat(manager.heartbeat(resource, holder)).isTrue();
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(manager.lock(resource, other, 0)).isTrue();
        assertThat(holder(manager, resource).fencingToken()).isGreaterThan(before.fencingToken());
    }

    private static void assertAllRejected(Map<String, ThrowingCallable> calls, String parameter) {
        List<Executable> checks = new ArrayList<>();
        calls.forEach((description, call) -> checks.add(() -> assertThatThrownBy(call)
                .as(description)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(parameter)));
        assertEach("V2 invalid " + parameter, checks);
    }

    private static String describe(@Nullable String id) {
        if (id == null) {
            return "null";
        }
        return id.length() > 20 ? id.length() + " chars" : '"' + IdentifierRules.printable(id) + '"';
    }
}
