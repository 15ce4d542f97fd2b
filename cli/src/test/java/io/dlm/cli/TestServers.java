package io.dlm.cli;

import io.dlm.tck.Prerequisites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The engines the tests run against: Redis on {@code 127.0.0.1:6379} and PostgreSQL on {@code
 * 127.0.0.1:5432} (database {@code test}, user {@code postgres}), as {@code scripts/services.sh}
 * starts them. Outside CI a test class skips when its server is down; in CI ({@code CI=true}) it
 * fails.
 */
final class TestServers {

    static final String REDIS_URI = "redis://127.0.0.1:6379";
    static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test";

    private TestServers() {}

    static void assumeRedis() {
        assumeListening("Redis", 6379, "redis");
    }

    static void assumePostgres() {
        assumeListening("PostgreSQL", 5432, "postgres");
    }

    private static void assumeListening(String name, int port, String service) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        } catch (IOException e) {
            String message = "No " + name + " at 127.0.0.1:" + port + " (" + e + "); start it with `bash"
                    + " scripts/services.sh " + service + "`";
            throw Prerequisites.missing(message);
        }
    }
}
