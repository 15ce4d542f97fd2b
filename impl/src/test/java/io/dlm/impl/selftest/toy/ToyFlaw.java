package io.dlm.impl.selftest.toy;

/** A deliberate bug of the {@link ToyLockServer}, which the fault tier must catch. */
public enum ToyFlaw {
    /** A correct engine. */
    NONE,
    /** A held lock is granted to another client once 60 % of its lease has passed (breaks M1). */
    EARLY_GRANT,
    /** {@link ToyLockServer#restart()} starts the token counter again at 1 (breaks F1, N5). */
    TOKENS_RESET_ON_RESTART
}
