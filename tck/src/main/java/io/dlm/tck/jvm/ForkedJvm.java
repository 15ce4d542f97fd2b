package io.dlm.tck.jvm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started with the test's own class path running one main class, whose standard output the
 * test reads line by line and whose standard input it can write to. It can be paused with {@code
 * SIGSTOP} and resumed with {@code SIGCONT}, as a long GC pause or a stopped VM would (SPEC N2).
 * Closing it kills the process with {@code SIGKILL}, as a crash would.
 */
public final class ForkedJvm implements AutoCloseable {

    private final Process process;
    private final Writer input;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    private ForkedJvm(Process process) {
        this.process = process;
        this.input = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(this::pump, "dlm-forked-jvm-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM with the current class path.
     *
     * @param mainClass a class with a {@code main} method
     * @param args its arguments
     * @return the running JVM
     * @throws IOException if the process cannot be started
     */
    public static ForkedJvm start(Class<?> mainClass, List<String> args) throws IOException {
        return start(mainClass, args, Map.of());
    }

    /**
     * Starts {@code mainClass} in a new JVM with the current class path and variables added to its
     * environment, e.g. a {@code FakeClock}'s for a JVM whose wall clock is off.
     *
     * @param mainClass a class with a {@code main} method
     * @param args its arguments
     * @param environment variables to add to the inherited environment
     * @return the running JVM
     * @throws IOException if the process cannot be started
     */
    public static ForkedJvm start(Class<?> mainClass, List<String> args, Map<String, String> environment)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        return new ForkedJvm(process);
    }

    private void pump() {
        try (BufferedReader reader =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("IO-ERROR " + e);
        }
    }

    /**
     * Waits for an output line that starts with {@code prefix}, skipping others.
     *
     * @param prefix the start of the awaited line
     * @param timeout how long to wait
     * @return the whole line
     * @throws AssertionError if the line does not come in time (the output so far is in the message)
     * @throws InterruptedException if the test thread is interrupted
     */
    public String awaitLine(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (; ; ) {
            long left = deadline - System.nanoTime();
            String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
            if (line == null) {
                throw new AssertionError("No line starting with '" + prefix + "' from the forked JVM within " + timeout
                        + "; its output so far: " + seen + " (alive: " + process.isAlive() + ")");
            }
            seen.add(line);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
    }

    /**
     * Everything the JVM printed so far, for a failure message: the lines {@link #awaitLine}
     * skipped or returned, and those not awaited yet (which it still returns later).
     *
     * @return the lines in the order printed
     */
    public List<String> output() {
        List<String> all = new ArrayList<>(seen);
        all.addAll(lines);
        return all;
    }

    /**
     * Writes one line to the JVM's standard input.
     *
     * @param line the line, without its line break
     * @throws IOException if the process no longer reads its input
     */
    public void send(String line) throws IOException {
        input.write(line);
        input.write('\n');
        input.flush();
    }

    /**
     * The operating system's process id.
     *
     * @return the pid
     */
    public long pid() {
        return process.pid();
    }

    /**
     * Stops every thread of the JVM with {@code SIGSTOP}, and returns once each is stopped; it
     * neither runs nor answers until {@link #resume()}, while its sockets stay open.
     *
     * @throws IOException if {@code kill} cannot be run
     * @throws InterruptedException if the test thread is interrupted
     */
    public void pause() throws IOException, InterruptedException {
        ProcessSignals.stop(process.pid());
    }

    /**
     * Lets a paused JVM run again with {@code SIGCONT}.
     *
     * @throws IOException if {@code kill} cannot be run
     * @throws InterruptedException if the test thread is interrupted
     */
    public void resume() throws IOException, InterruptedException {
        ProcessSignals.resume(process.pid());
    }

    /**
     * Waits for the process to end by itself.
     *
     * @param timeout how long to wait
     * @return its exit code
     * @throws AssertionError if it is still running after the timeout
     * @throws InterruptedException if the test thread is interrupted
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("The forked JVM did not end within " + timeout + "; output: " + seen);
        }
        return process.exitValue();
    }

    /**
     * Kills the JVM with {@code SIGKILL} (no shutdown hooks run, no lock is released) and waits
     * for it to be gone.
     *
     * @throws InterruptedException if the test thread is interrupted
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Kills the JVM if it still runs. */
    @Override
    public void close() {
        // A paused JVM is killed just the same: SIGKILL needs no SIGCONT.
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
