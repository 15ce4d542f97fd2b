package io.dlm.backend.redis;

import io.dlm.tck.Prerequisites;
import io.dlm.tck.fault.FakeClock;
import io.dlm.tck.support.RedisServers;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of a test's own, on a free port of 127.0.0.1 with its files in a directory
 * of the test, that the test may kill (as a crash would: {@code SIGKILL}) and start again on the
 * same port. Keeps nothing on disk unless the test passes persistence options. Also runs Sentinels
 * and Cluster nodes, and servers whose clock is off ({@link #startUnderFaketime}).
 */
final class PrivateRedisServer implements AutoCloseable {

    /** glibc's own allocator as a preload library (glibc 2.34 and later), see {@link #startUnderFaketime}. */
    private static final List<String> GLIBC_MALLOC_LIBRARIES = List.of(
            "/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0",
            "/usr/lib/aarch64-linux-gnu/libc_malloc_debug.so.0",
            "/usr/lib64/libc_malloc_debug.so.0",
            "/lib64/libc_malloc_debug.so.0");

    private final Path dir;
    private final int port;
    private final List<String> args;
    private final Map<String, String> environment;
    private Process process;

    private PrivateRedisServer(Path dir, int port, List<String> args, Map<String, String> environment) {
        this.dir = dir;
        this.port = port;
        this.args = args;
        this.environment = environment;
    }

    /**
     * Starts a plain server, or skips (outside CI) or fails (in CI) the test when no
     * {@code redis-server} binary is installed.
     *
     * @param dir its working directory, created if missing
     * @param extraArgs more {@code --option value} pairs
     */
    static PrivateRedisServer start(Path dir, String... extraArgs) throws IOException {
        return start(dir, Map.of(), extraArgs);
    }

    /**
     * Starts a plain server whose wall clock is off by {@code offset}, as libfaketime's
     * {@code FAKETIME} variable spells it (e.g. {@code "-30s"}): {@code TIME}, key expiries and
     * replicated expiry times all follow the faked clock, while the monotonic clock that Redis
     * times its own events by stays true. Skips (outside CI) or fails (in CI) when libfaketime is
     * not installed.
     *
     * <p>libfaketime cannot start inside a process whose {@code malloc} is jemalloc (Debian's
     * {@code redis-server} links it): jemalloc reads the clock while it initialises, libfaketime
     * allocates while it initialises, and the process hangs or fails. So glibc's allocator is
     * preloaded first ({@code libc_malloc_debug.so.0}, which only forwards to it unless asked to
     * trace), and Redis allocates through glibc instead.
     *
     * @param dir its working directory, created if missing
     * @param offset how far the server's clock is off, e.g. {@code "-30s"} or {@code "+1h"}
     * @param extraArgs more {@code --option value} pairs
     */
    static PrivateRedisServer startUnderFaketime(Path dir, String offset, String... extraArgs) throws IOException {
        return startOn(fakeClock(dir, offset), dir, extraArgs);
    }

    /**
     * A clock for {@link #startOn}, or skips (outside CI) or fails (in CI) when libfaketime is not
     * installed.
     *
     * @param dir the server's directory; the clock's file goes in it
     * @param offset the first offset, e.g. {@code "+0"}
     */
    static FakeClock fakeClock(Path dir, String offset) throws IOException {
        if (FakeClock.library().isEmpty()) {
            throw Prerequisites.missing("libfaketime is not installed: run `bash scripts/services.sh faketime`");
        }
        return FakeClock.create(dir.resolve("clock"), offset);
    }

    /**
     * Starts a plain server on a clock the test can step while it runs ({@link FakeClock#step}),
     * with glibc's allocator in front as {@link #startUnderFaketime} explains.
     *
     * @param clock the clock
     * @param dir its working directory, created if missing
     * @param extraArgs more {@code --option value} pairs
     */
    static PrivateRedisServer startOn(FakeClock clock, Path dir, String... extraArgs) throws IOException {
        String glibcMalloc =
                findLibrary(GLIBC_MALLOC_LIBRARIES, "glibc's libc_malloc_debug.so.0 (glibc 2.34 or later)");
        return start(dir, clock.environmentPreloading(Path.of(glibcMalloc)), extraArgs);
    }

    private static PrivateRedisServer start(Path dir, Map<String, String> environment, String... extraArgs)
            throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        List<String> args = new ArrayList<>(RedisServers.volatileOptions(port, dir));
        args.addAll(List.of("--logfile", dir.resolve("redis.log").toString()));
        args.addAll(List.of(extraArgs));
        PrivateRedisServer server = new PrivateRedisServer(dir, port, args, environment);
        server.startProcess();
        return server;
    }

    /**
     * Starts a Sentinel that watches the primary {@code mymaster} and already knows its replica.
     *
     * @param dir its working directory, created if missing
     * @param primary the primary
     * @param replica the primary's replica
     */
    static PrivateRedisServer startSentinel(Path dir, PrivateRedisServer primary, PrivateRedisServer replica)
            throws IOException {
        Files.createDirectories(dir);
        int port = freePort();
        Path config = dir.resolve("sentinel.conf");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "port " + port,
                        "bind 127.0.0.1",
                        "dir " + dir,
                        "logfile " + dir.resolve("sentinel.log"),
                        "sentinel monitor mymaster 127.0.0.1 " + primary.port + " 1",
                        "sentinel down-after-milliseconds mymaster 2000",
                        "sentinel failover-timeout mymaster 10000",
                        "sentinel known-replica mymaster 127.0.0.1 " + replica.port,
                        ""),
                StandardCharsets.UTF_8);
        PrivateRedisServer sentinel =
                new PrivateRedisServer(dir, port, List.of(config.toString(), "--sentinel"), Map.of());
        sentinel.startProcess();
        return sentinel;
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Kills the server at once, without saving anything, as a crash would. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts the server again on the same port and directory. */
    void restart() throws IOException {
        startProcess();
    }

    private void startProcess() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(findBinary());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile());
        builder.environment().putAll(environment);
        process = RedisServers.start(builder, () -> TestRedis.ping("127.0.0.1", port) == null, Duration.ofSeconds(20));
    }

    private static String findBinary() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getPath();
            }
        }
        throw Prerequisites.missing("No redis-server on the PATH: install Debian's redis-server package");
    }

    private static String findLibrary(List<String> candidates, String what) {
        for (String candidate : candidates) {
            if (Files.isReadable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw Prerequisites.missing("Not found: " + what + " (looked at " + String.join(", ", candidates) + ")");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
