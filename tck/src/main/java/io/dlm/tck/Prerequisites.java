package io.dlm.tck;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What to do when a test's machine lacks something it needs: a server to reach, a binary to start,
 * a library to preload. On a developer's machine the test is skipped, with the way to get what is
 * missing in its message. In CI ({@code CI=true}) it fails: there every prerequisite is installed
 * by the build's own script, and a skipped test would only hide that the suite did not run.
 *
 * <p>For a backend's own tests and for a third party's, so that every suite behaves the same way.
 */
public final class Prerequisites {

    private Prerequisites() {}

    /**
     * Whether the tests run in CI, where nothing may be skipped for want of a prerequisite.
     *
     * @return whether the environment variable {@code CI} is {@code true}
     */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Ends the test for a missing prerequisite: failed in CI, skipped elsewhere. It never returns;
     * its return type lets a caller write {@code throw Prerequisites.missing(...)} where the
     * compiler wants a value or an end.
     *
     * @param what what is missing and how to get it, for the test report
     * @return never
     */
    public static AssertionError missing(String what) {
        if (inCi()) {
            return Assertions.fail(what + " (CI=true: every prerequisite must be present)");
        }
        return Assumptions.abort(what);
    }
}
