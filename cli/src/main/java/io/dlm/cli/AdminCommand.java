package io.dlm.cli;

import io.dlm.LockAdmin;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * What every {@code dlm} command does around its own work: check its arguments before anything
 * connects, open the backend's admin with the run's settings, and close it again.
 */
abstract class AdminCommand implements Callable<Integer> {

    @ParentCommand
    @SuppressWarnings("NullAway.Init") // injected by picocli before call()
    Dlm dlm;

    @Spec
    @SuppressWarnings("NullAway.Init") // injected by picocli before call()
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        checkArguments();
        try (LockAdmin admin = dlm.openAdmin(destructive())) {
            PrintWriter out = spec.commandLine().getOut();
            int code = run(admin, out);
            out.flush();
            return code;
        }
    }

    /**
     * Checks the arguments; runs before anything connects, so that bad input changes nothing.
     *
     * @throws BadInputException naming the argument at fault
     */
    abstract void checkArguments();

    /**
     * Does the command's work.
     *
     * @param admin the open admin
     * @param out standard output
     * @return the exit code
     * @throws Exception when interrupted, or any failure, mapped by {@link Failures}
     */
    abstract int run(LockAdmin admin, PrintWriter out) throws Exception;

    /**
     * Whether the command changes locks, and so refuses doubtful settings rather than warn.
     *
     * @return false unless overridden
     */
    boolean destructive() {
        return false;
    }

    /**
     * Whether {@code --json} was given.
     *
     * @return the flag
     */
    boolean json() {
        return dlm.json;
    }

    /**
     * A note for a person, on stderr, so that stdout stays the command's result.
     *
     * @param text the note
     */
    void note(String text) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("dlm: " + text);
        err.flush();
    }
}
