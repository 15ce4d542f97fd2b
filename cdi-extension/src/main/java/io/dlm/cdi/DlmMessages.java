package io.dlm.cdi;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import jakarta.enterprise.inject.spi.DefinitionException;
import java.time.Duration;
import java.util.List;

/**
 * Every diagnostic of the CDI layer, numbered with the project code: {@code DLM10xx} for
 * deployment, {@code DLM20xx} for invocations, {@code DLM30xx} for leadership (S4). A number is
 * never reused. Methods that build an
 * exception return it; the caller throws it.
 */
final class DlmMessages {

    /** The logger of the CDI layer. */
    static final System.Logger LOG = System.getLogger("io.dlm.cdi");

    private DlmMessages() {}

    /**
     * DLM1000: the deployment has invalid annotations; lists every one (D5).
     *
     * @param problems one message per problem
     * @return the exception that fails the deployment
     */
    static DefinitionException invalidAnnotations(List<String> problems) {
        StringBuilder message = new StringBuilder("DLM1000: ")
                .append(problems.size())
                .append(problems.size() == 1 ? " invalid @DistributedLock:" : " invalid @DistributedLock annotations:");
        for (String problem : problems) {
            message.append("\n  ").append(problem);
        }
        return new DefinitionException(message.toString());
    }

    /**
     * DLM1001: a negative timeout (D5).
     *
     * @param operation {@code Bean#method}
     * @param timeout the value
     * @return the message
     */
    static String negativeTimeout(String operation, long timeout) {
        return "DLM1001: Invalid @DistributedLock.timeout on " + operation + ": must not be negative, was " + timeout;
    }

    /**
     * DLM1002: a lease that is neither positive nor {@code -1} (D5).
     *
     * @param operation {@code Bean#method}
     * @param lease the value
     * @return the message
     */
    static String invalidLease(String operation, long lease) {
        return "DLM1002: Invalid @DistributedLock.lease on " + operation + ": must be positive or -1, was " + lease;
    }

    /**
     * DLM1003: a lease that is not longer than the heartbeat interval (D5): the runtime would send
     * its renewal when, or after, the lease ran out.
     *
     * @param operation {@code Bean#method}
     * @param lease the effective lease
     * @param interval the configured heartbeat interval
     * @return the message
     */
    static String leaseNotLongerThanHeartbeat(String operation, Duration lease, Duration interval) {
        return "DLM1003: Invalid @DistributedLock.lease on " + operation + ": the lease " + lease
                + " is not longer than the heartbeat interval " + interval + " (" + DlmConfig.HEARTBEAT_INTERVAL
                + "), so it would expire before it is renewed";
    }

    /**
     * DLM1004: a unit without an exact duration.
     *
     * @param operation {@code Bean#method}
     * @param unit the unit's name
     * @return the message
     */
    static String inexactUnit(String operation, String unit) {
        return "DLM1004: Invalid @DistributedLock.unit on " + operation + ": " + unit
                + " has no exact duration; use NANOS to DAYS";
    }

    /**
     * DLM1005: a placeholder names no parameter (D5).
     *
     * @param operation {@code Bean#method}
     * @param name the placeholder's first segment
     * @param known the method's parameter names
     * @return the message
     */
    static String unknownParameter(String operation, String name, List<String> known) {
        return "DLM1005: Invalid @DistributedLock.resource on " + operation + ": no parameter named '" + name
                + "'; parameters are " + known;
    }

    /**
     * DLM1006: a placeholder index outside the parameter list (D5).
     *
     * @param operation {@code Bean#method}
     * @param index the index
     * @param count how many parameters the method has
     * @return the message
     */
    static String indexOutOfRange(String operation, int index, int count) {
        return "DLM1006: Invalid @DistributedLock.resource on " + operation + ": {" + index
                + "} is out of range, the method has " + count + " parameter(s)";
    }

    /**
     * DLM1007: parameter names used but not compiled in (D2, D5).
     *
     * @param operation {@code Bean#method}
     * @param name the placeholder's first segment
     * @return the message
     */
    static String parameterNamesMissing(String operation, String name) {
        return "DLM1007: Invalid @DistributedLock.resource on " + operation + ": {" + name
                + "} names a parameter, but the class was compiled without parameter names;"
                + " compile with javac -parameters (maven-compiler-plugin <parameters>true</parameters>)"
                + " or use a position such as {0}";
    }

    /**
     * DLM1008: braces that do not form placeholders.
     *
     * @param operation {@code Bean#method}
     * @param template the template
     * @param problem what is wrong
     * @return the message
     */
    static String malformedTemplate(String operation, String template, String problem) {
        return "DLM1008: Invalid @DistributedLock.resource on " + operation + ": '" + template + "' " + problem;
    }

    /**
     * DLM1009: a property path step that the type does not have (D5).
     *
     * @param operation {@code Bean#method}
     * @param placeholder the whole placeholder
     * @param property the missing property
     * @param type the type searched
     * @return the message
     */
    static String unknownProperty(String operation, String placeholder, String property, Class<?> type) {
        return "DLM1009: Invalid @DistributedLock.resource on " + operation + ": {" + placeholder + "} needs property '"
                + property + "' but " + type.getName() + " has no public get" + capitalize(property) + "(), is"
                + capitalize(property) + "(), " + property + "() or field " + property;
    }

    /**
     * DLM1010: an override key whose value cannot be read (D6).
     *
     * @param operation {@code Bean#method}
     * @param member the annotation member
     * @param key the config key
     * @param value the value found
     * @param expected what was expected
     * @return the message
     */
    static String invalidOverride(String operation, String member, String key, String value, String expected) {
        return "DLM1010: Invalid @DistributedLock." + member + " on " + operation + ": config key '" + key
                + "' has value '" + value + "', expected " + expected;
    }

    /**
     * DLM1011: the annotation sits on a method that interceptors never see.
     *
     * @param operation {@code Bean#method}
     * @param why {@code static} or {@code private}
     * @return the message
     */
    static String notInterceptable(String operation, String why) {
        return "DLM1011: Invalid @DistributedLock on " + operation + ": " + why
                + " methods are not intercepted, the lock would never be taken";
    }

    /**
     * DLM1013: a negative holdAtLeast (S2, D5).
     *
     * @param operation {@code Bean#method}
     * @param holdAtLeast the value
     * @return the message
     */
    static String negativeHoldAtLeast(String operation, long holdAtLeast) {
        return "DLM1013: Invalid @DistributedLock.holdAtLeast on " + operation + ": must not be negative, was "
                + holdAtLeast;
    }

    /**
     * DLM1012: a global setting the CDI layer needs is invalid.
     *
     * @param problem the parser's message, naming the key
     * @return the message
     */
    static String invalidSetting(String problem) {
        return "DLM1012: " + problem;
    }

    /**
     * DLM3001: the application campaigns for its leadership names (S4).
     *
     * @param names the names from {@code dlm.leadership.names}
     * @param clientId the application's client id
     * @param lease the campaigns' lease
     */
    static void campaigning(List<String> names, String clientId, Duration lease) {
        LOG.log(
                System.Logger.Level.INFO,
                () -> "DLM3001: campaigning for the leadership of " + names + " as '" + clientId + "' with a lease of "
                        + lease);
    }

    /**
     * DLM3002: a leadership name or the client id is not a valid id (S4, V1); start-up fails.
     *
     * @param name the name being campaigned for
     * @param clientId the client id
     * @param invalid the runtime's complaint, naming the argument
     * @return the exception to throw
     */
    static IllegalArgumentException invalidLeadership(String name, String clientId, IllegalArgumentException invalid) {
        return new IllegalArgumentException(
                "DLM3002: cannot campaign for '" + name + "' as '" + clientId + "' (" + LeadershipSettings.NAMES + ", "
                        + LeadershipSettings.CLIENT_ID + "): " + invalid.getMessage(),
                invalid);
    }

    /**
     * DLM2001: the lock was not acquired in time; the method was not called (D3).
     *
     * @param resourceId the resource
     * @param operation {@code Bean#method}
     * @param wait how long the call waited
     * @return the exception
     */
    static LockException notAcquired(String resourceId, String operation, Duration wait) {
        return new LockException(
                LockError.RESOURCE_LOCKED,
                "DLM2001: lock '" + resourceId + "' not acquired within " + wait + " for " + operation
                        + "; the method was not called");
    }

    /**
     * DLM2002: a nested call for a resource the caller holds on this thread (D3).
     *
     * @param resourceId the resource
     * @param operation {@code Bean#method}
     * @return the exception
     */
    static LockException nestedCall(String resourceId, String operation) {
        return new LockException(
                LockError.RESOURCE_LOCKED,
                "DLM2002: lock '" + resourceId + "' is already held by a caller of " + operation
                        + " on this thread; a nested call would wait for itself, so it fails at once");
    }

    /**
     * DLM2003: the lease was lost while the method ran (D4).
     *
     * @param lock the lost lock
     * @param operation {@code Bean#method}
     * @param reason how it was noticed
     * @return the exception
     */
    static LockException leaseLost(HeldLock lock, String operation, LeaseLost.Reason reason) {
        return new LockException(
                LockError.LOCK_NOT_HELD,
                "DLM2003: the lease on '" + lock.resourceId() + "' (fencing token " + lock.fencingToken()
                        + ") was lost while " + operation + " ran (" + reason
                        + "); another client may have taken the lock meanwhile");
    }

    /**
     * DLM2004: an observer of a lock event threw; the lock logic goes on.
     *
     * @param event the event
     * @param failure what the observer threw
     */
    static void observerFailed(Object event, RuntimeException failure) {
        LOG.log(System.Logger.Level.WARNING, "DLM2004: an observer of " + event + " threw", failure);
    }

    // DLM2005 (a heartbeat failed and was retried) is retired: the runtime keeps leases alive now (K1).

    /**
     * DLM2006: the intercepted method has no plan; happens only for beans CDI did not announce.
     *
     * @param operation {@code Bean#method}
     */
    static void lateValidation(String operation) {
        LOG.log(
                System.Logger.Level.DEBUG,
                "DLM2006: " + operation + " was not seen at deployment; its settings are computed on first call");
    }

    private static String capitalize(String name) {
        return name.isEmpty() ? name : Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
