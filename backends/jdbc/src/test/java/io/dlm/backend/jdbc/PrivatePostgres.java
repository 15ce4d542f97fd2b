package io.dlm.backend.jdbc;

import io.dlm.tck.Prerequisites;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, in a temporary directory on a free port, which the test
 * may stop and start at will. Made with the {@code initdb}/{@code pg_ctl} of the newest server
 * under {@code /usr/lib/postgresql}; as root it runs them as the {@code postgres} user, since
 * PostgreSQL refuses to run as root.
 */
final class PrivatePostgres implements AutoCloseable {

    private final Path bin;
    private final Path directory;
    private final int port;
    private final boolean asPostgresUser;

    private PrivatePostgres(Path bin, Path directory, int port, boolean asPostgresUser) {
        this.bin = bin;
        this.directory = directory;
        this.port = port;
        this.asPostgresUser = asPostgresUser;
    }

    /** Creates and starts a server; skips (or fails in CI) where PostgreSQL is not installed. */
    static PrivatePostgres start() throws IOException, InterruptedException {
        Optional<Path> bin = serverBinaries();
        if (bin.isEmpty()) {
            String message = "No PostgreSQL server binaries under /usr/lib/postgresql/*/bin";
            throw Prerequisites.missing(message);
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path directory = Files.createTempDirectory("dlm-pg-");
        if (root) {
            run(List.of("chown", "postgres:postgres", directory.toString()));
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        PrivatePostgres server = new PrivatePostgres(bin.get(), directory, port, root);
        server.pg("initdb", "-D", server.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync");
        server.startServer();
        return server;
    }

    private static Optional<Path> serverBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(version -> version.resolve("bin"))
                    .filter(dir -> Files.isExecutable(dir.resolve("pg_ctl")))
                    .max(Comparator.comparingInt(dir -> Integer.parseInt(
                            dir.getParent().getFileName().toString().replaceAll("\\D", "0"))));
        }
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    private String data() {
        return directory.resolve("data").toString();
    }

    /** Starts the server and waits until it accepts connections. */
    void startServer() throws IOException, InterruptedException {
        pg(
                "pg_ctl",
                "-D",
                data(),
                "-l",
                directory.resolve("server.log").toString(),
                "-w",
                "-t",
                "60",
                "-o",
                "-p " + port + " -k " + directory + " -c listen_addresses=127.0.0.1 -c fsync=off",
                "start");
    }

    /** Stops the server as a crash would: no checkpoint, every connection cut. */
    void crash() throws IOException, InterruptedException {
        pg("pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop");
    }

    @Override
    public void close() throws IOException {
        try {
            try {
                pg("pg_ctl", "-D", data(), "-m", "immediate", "-w", "stop");
            } catch (IOException e) {
                // Already stopped.
            }
            run(List.of("rm", "-rf", directory.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while removing " + directory, e);
        }
    }

    private void pg(String program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (asPostgresUser) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(args));
        run(command);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(90, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(command + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
