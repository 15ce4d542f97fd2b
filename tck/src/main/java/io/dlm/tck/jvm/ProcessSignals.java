package io.dlm.tck.jvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code SIGSTOP} and {@code SIGCONT} for a fault test's own processes (a forked holder, an engine
 * member), on Linux.
 *
 * <p>{@code kill -STOP} returns before the process has stopped: the kernel wakes one of its
 * threads to take the signal and stop the rest, and until that thread runs, the others go on, a
 * network thread answering requests included. A test that pauses an engine and then sends it a
 * request must not race that, so {@link #stop} returns only once every thread of the process is
 * stopped.
 */
public final class ProcessSignals {

    private ProcessSignals() {}

    /**
     * Stops every thread of the process and waits until each is stopped.
     *
     * @param pid the process
     * @throws IOException if {@code kill} cannot be run, fails, or the process does not stop
     *     within ten seconds
     * @throws InterruptedException if the test thread is interrupted
     */
    public static void stop(long pid) throws IOException, InterruptedException {
        send("STOP", pid);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!allThreadsStopped(pid)) {
            if (System.nanoTime() - deadline >= 0) {
                throw new IOException("process " + pid + " did not stop within 10 s of SIGSTOP");
            }
            Thread.sleep(1);
        }
    }

    /**
     * Lets a stopped process run again.
     *
     * @param pid the process
     * @throws IOException if {@code kill} cannot be run or fails
     * @throws InterruptedException if the test thread is interrupted
     */
    public static void resume(long pid) throws IOException, InterruptedException {
        send("CONT", pid);
    }

    private static void send(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                .redirectErrorStream(true)
                .start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed: " + output);
        }
    }

    /** Whether every thread is stopped (state T), or gone. */
    private static boolean allThreadsStopped(long pid) throws IOException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> threads;
        try (Stream<Path> listed = Files.list(tasks)) {
            threads = listed.collect(Collectors.toList());
        } catch (NoSuchFileException e) {
            return true; // the process is gone
        }
        for (Path thread : threads) {
            String stat;
            try {
                stat = Files.readString(thread.resolve("stat"), StandardCharsets.ISO_8859_1);
            } catch (NoSuchFileException e) {
                continue; // the thread ended
            }
            // "tid (name) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            if (state != 'T' && state != 'Z' && state != 'X') {
                return false;
            }
        }
        return true;
    }
}
