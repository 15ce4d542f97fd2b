package io.dlm.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** Runs {@code dlm} in-process with captured output, as a test's user of the command line. */
final class Cli {

    private Cli() {}

    /**
     * What one run printed and returned.
     *
     * @param exitCode the exit code
     * @param out standard output
     * @param err standard error
     */
    record Result(int exitCode, String out, String err) {}

    /**
     * A run in progress, whose output can be read while it runs.
     *
     * @param out standard output so far
     * @param err standard error so far
     * @param exitCode the exit code, once it ends
     */
    record Running(StringWriter out, StringWriter err, CompletableFuture<Integer> exitCode) {

        /** Waits until standard output holds at least the given number of lines. */
        void awaitLines(int lines, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (out.toString().lines().count() < lines) {
                if (exitCode.isDone() || System.nanoTime() > deadline) {
                    throw new AssertionError("no " + lines + " lines of output: out=" + out + " err=" + err);
                }
                TimeUnit.MILLISECONDS.sleep(10);
            }
        }

        Result result(Duration within) throws Exception {
            int code = exitCode.get(within.toMillis(), TimeUnit.MILLISECONDS);
            return new Result(code, out.toString(), err.toString());
        }
    }

    /** Starts a run on another thread; {@link StringWriter} is thread-safe, so it can be read meanwhile. */
    static Running start(String... args) {
        CommandLine line = Dlm.commandLine(Map.of());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        Thread thread = new Thread(() -> exitCode.complete(line.execute(args)), "dlm " + String.join(" ", args));
        thread.setDaemon(true);
        thread.start();
        return new Running(out, err, exitCode);
    }

    static Result run(String... args) {
        return run(Map.of(), args);
    }

    static Result run(Map<String, String> environment, String... args) {
        CommandLine line = Dlm.commandLine(environment);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        int code = line.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
