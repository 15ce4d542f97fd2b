package io.dlm.tck.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A wall clock for an engine process, off by an offset that the test can step while the process
 * runs (SPEC N5, N6): libfaketime preloaded into the process reads its offset from a file on every
 * clock call, so writing the file steps the process's {@code time()}, {@code gettimeofday()} and
 * {@code CLOCK_REALTIME} at once. The monotonic clock is left true, as a real clock step leaves
 * it, so the engine's own timers keep running.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.create(dir, "-30s");
 * ProcessBuilder engine = new ProcessBuilder("redis-server", "--port", "0");
 * engine.environment().putAll(clock.environment());
 * ...
 * clock.step("+60s"); // the running engine's wall clock jumps
 * }</pre>
 *
 * <p>Debian packages libfaketime as {@code faketime} and {@code libfaketime}; {@code
 * scripts/services.sh} installs them. Programs whose allocator reads the clock while it starts
 * (jemalloc, as in Debian's {@code redis-server}) need glibc's allocator preloaded in front:
 * {@link #environmentPreloading(Path)}.
 */
public final class FakeClock {

    /** Where distributions put libfaketime's preload library. */
    private static final List<String> LIBRARIES = List.of(
            "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
            "/usr/lib64/faketime/libfaketime.so.1",
            "/usr/lib/faketime/libfaketime.so.1",
            "/usr/local/lib/faketime/libfaketime.so.1");

    /**
     * Only the wall clock is faked: the monotonic clock stays true, as on a host whose wall clock is
     * stepped (E3 says expiry never follows the wall clock).
     */
    private static final Map<String, String> TRUE_MONOTONIC_CLOCK = Map.of(
            // Both spellings: libfaketime 0.9.10 reads the second, older ones the first.
            "DONT_FAKE_MONOTONIC",
            "1",
            "FAKETIME_DONT_FAKE_MONOTONIC",
            "1",
            // libfaketime 0.9.10 still shifts a condition variable's CLOCK_MONOTONIC deadline when that
            // clock is left true, unless told not to: then every timed park of a JVM
            // (LockSupport.parkNanos, Object.wait) returns at once, and it spins.
            "FAKETIME_FORCE_MONOTONIC_FIX",
            "0");

    private final Path library;
    private final Path offsetFile;

    private FakeClock(Path library, Path offsetFile) {
        this.library = library;
        this.offsetFile = offsetFile;
    }

    /**
     * The installed libfaketime preload library, if any.
     *
     * @return its path, or empty when libfaketime is not installed
     */
    public static Optional<Path> library() {
        return LIBRARIES.stream().map(Path::of).filter(Files::isReadable).findFirst();
    }

    /**
     * The environment that puts a process on a wall clock off by a fixed offset, for its whole
     * life (SPEC S2: nodes whose clocks differ). The offset is in the environment rather than a
     * file: with no step to follow, libfaketime need not read a file on every clock call, which
     * costs a JVM some 100 microseconds per {@code System.currentTimeMillis()}.
     *
     * @param offset as libfaketime spells a relative offset, fractions allowed: {@code "+0.45"},
     *     {@code "-2s"}
     * @return variables to add to the process's environment
     * @throws IllegalStateException if libfaketime is not installed
     */
    public static Map<String, String> fixedOffsetEnvironment(String offset) {
        checkOffset(offset);
        Path library = installedLibrary();
        Map<String, String> variables = new HashMap<>(TRUE_MONOTONIC_CLOCK);
        variables.put("LD_PRELOAD", library.toString());
        variables.put("FAKETIME", offset);
        return Map.copyOf(variables);
    }

    /**
     * Creates a clock whose offset lives in a file under {@code dir}.
     *
     * @param dir a directory of the test's own, created if missing
     * @param offset the first offset as libfaketime spells it: {@code "-30s"}, {@code "+1h"},
     *     {@code "+0"}
     * @return the clock
     * @throws IOException if the file cannot be written
     * @throws IllegalStateException if libfaketime is not installed
     */
    public static FakeClock create(Path dir, String offset) throws IOException {
        Path library = installedLibrary();
        Files.createDirectories(dir);
        FakeClock clock = new FakeClock(library, dir.resolve("faketime-offset"));
        clock.step(offset);
        return clock;
    }

    private static Path installedLibrary() {
        return library()
                .orElseThrow(() -> new IllegalStateException("libfaketime is not installed (looked at "
                        + String.join(", ", LIBRARIES) + "); run `bash scripts/services.sh faketime`"));
    }

    private static void checkOffset(String offset) {
        if (offset == null || !offset.matches("[+-]\\d+(\\.\\d+)?[smhdy]?")) {
            throw new IllegalArgumentException("offset must look like +60s, -30s or +0, not '" + offset + "'");
        }
    }

    /**
     * The environment that puts a process started with it on this clock.
     *
     * @return variables to add to the process's environment
     */
    public Map<String, String> environment() {
        return variables(library.toString());
    }

    /**
     * The environment for a process whose allocator must be replaced first, e.g. glibc's {@code
     * libc_malloc_debug.so.0} in front of a jemalloc program, which would otherwise hang while
     * libfaketime and jemalloc start.
     *
     * @param firstLibrary a library to preload before libfaketime
     * @return variables to add to the process's environment
     */
    public Map<String, String> environmentPreloading(Path firstLibrary) {
        return variables(firstLibrary + ":" + library);
    }

    private Map<String, String> variables(String preload) {
        Map<String, String> variables = new HashMap<>(TRUE_MONOTONIC_CLOCK);
        variables.put("LD_PRELOAD", preload);
        variables.put("FAKETIME_TIMESTAMP_FILE", offsetFile.toString());
        // Read the file on every call, so a step reaches the running process at once.
        variables.put("FAKETIME_NO_CACHE", "1");
        return Map.copyOf(variables);
    }

    /**
     * Sets the offset of every process on this clock, at once.
     *
     * @param offset as libfaketime spells it, e.g. {@code "+60s"}, {@code "-60s"}, {@code "+0"}
     * @throws IOException if the file cannot be written
     */
    public void step(String offset) throws IOException {
        checkOffset(offset);
        // Written whole and moved into place, so a process never reads half a line.
        Path next = offsetFile.resolveSibling(offsetFile.getFileName() + ".next");
        Files.writeString(next, offset + "\n", StandardCharsets.US_ASCII);
        Files.move(next, offsetFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
