package io.dlm.cli;

/** The exit codes of {@code dlm}, as its help lists them; scripts depend on them, so they never change. */
final class ExitCodes {

    /** The command did what it was asked. */
    static final int OK = 0;
    /** Nothing to show or do: {@code inspect} or {@code release --force} found the resource free. */
    static final int FREE = 1;
    /** Bad input: an unknown option, backend or setting, a malformed value or id; nothing was changed. */
    static final int USAGE = 2;
    /**
     * The engine could not be reached or failed ({@code INTERNAL_ERROR}). For {@code inspect},
     * {@code list} and {@code watch} nothing changed. For {@code release --force} the outcome is
     * unknown when the request may have reached the engine and only its reply was lost: the lock
     * may have been broken; {@code inspect} tells.
     */
    static final int ENGINE = 3;
    /** The backend cannot do this ({@code list} or {@code release --force} on a backend without it). */
    static final int UNSUPPORTED = 4;
    /** {@code tck}: the backend failed some of the TCK's tests; the report names them. */
    static final int TCK_FAILED = 6;
    /** A bug of {@code dlm} itself; {@code --verbose} prints its stack trace. */
    static final int BUG = 70;

    /** The lines of {@code --help} that explain the codes. */
    static final String[] HELP = {
        "0   done",
        "1   the resource is free (inspect, release --force)",
        "2   bad input: option, backend, setting or id; nothing was changed",
        "3   the engine is unreachable or failed (release --force: it may have acted)",
        "4   the backend cannot do this (list, release --force)",
        "6   the backend failed tests of the TCK (tck)",
        "70  a bug in dlm (run with --verbose for the stack trace)"
    };

    private ExitCodes() {}
}
