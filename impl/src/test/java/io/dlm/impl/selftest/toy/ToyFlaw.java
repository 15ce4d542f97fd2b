package io.dlm.impl.selftest.toy;

/** A deliberate bug of the {@link ToyLockServer}, which the fault tier must catch. */
public enum ToyFlaw {
    /** A correct engine. */
    NONE,
    /** A held lock is granted to another client once 60 % of its lease has passed (breaks M1). */
    EARLY_GRANT,
    /** {@link ToyLockServer#restart()} starts the token counter again at 1 (breaks F1, N5). */
    TOKENS_RESET_ON_RESTART,
    /**
     * A renewal sets the expiry a thousand leases ahead, as a backend that hands the engine
     * milliseconds where it takes seconds would: a holder that renewed once and then died keeps its
     * lock for ages. Only kept-alive leases renew, so the tests of held and released locks pass;
     * a killed leader is never replaced in time (breaks E2 for a kept-alive lease, S3).
     */
    RENEWAL_IN_WRONG_UNIT
}
