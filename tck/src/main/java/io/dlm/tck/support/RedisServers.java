package io.dlm.tck.support;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Starts {@code redis-server} processes of a test's or a benchmark's own, beside the shared server
 * that they must not disturb: the options of a server that keeps nothing on disk, and starting one
 * and waiting until it answers. It uses nothing but the JDK, so the benchmarks can use it without
 * the TCK's test libraries.
 */
public final class RedisServers {

    private static final long POLL_MILLIS = 20;

    private RedisServers() {}

    /**
     * The options of a server that listens on {@code 127.0.0.1:port} only, works in {@code dir}
     * and keeps nothing on disk (no snapshots, no append-only file), so that it starts empty every
     * time, after a kill too, and leaves no files to clean up but its logs.
     *
     * @param port the port it listens on
     * @param dir its working directory
     * @return {@code --option value} pairs to follow the binary on the command line
     */
    public static List<String> volatileOptions(int port, Path dir) {
        return List.of(
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir.toString());
    }

    /**
     * Starts a server and waits until it answers; one that exits first, or does not answer in
     * time, is killed and reported, so that no half-started server outlives the caller.
     *
     * @param server the server's command line, environment and output, as the caller wants them
     * @param answers whether the server answers now, e.g. to a {@code PING} on its port; asked every
     *     20 ms while the process is alive
     * @param within how long it may take to answer
     * @return the process, answering
     * @throws IOException if it cannot be started, exits before it answers or does not answer
     *     {@code within} (its output, where it goes to a file, is named), or if the calling thread
     *     is interrupted while it waits ({@link InterruptedIOException}, the thread's interrupt
     *     flag set again)
     */
    public static Process start(ProcessBuilder server, BooleanSupplier answers, Duration within) throws IOException {
        Process process = server.start();
        long deadline = System.nanoTime() + within.toNanos();
        try {
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException(
                            "redis-server exited with " + process.exitValue() + " before it answered" + output(server));
                }
                if (answers.getAsBoolean()) {
                    return process;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("redis-server did not answer within " + within + output(server));
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while redis-server started" + output(server));
        } catch (IOException | RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
    }

    private static String output(ProcessBuilder server) {
        File file = server.redirectOutput().file();
        return file == null ? "" : "; see " + file;
    }
}
