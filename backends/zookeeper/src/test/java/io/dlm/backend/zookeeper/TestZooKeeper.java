package io.dlm.backend.zookeeper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.client.FourLetterWordMain;

/**
 * Real ZooKeeper servers for the tests, in this JVM (curator-test). They always start, in CI and
 * elsewhere, so no test of this module is ever skipped for want of a server.
 */
final class TestZooKeeper {

    /** Ticks of 500 ms allow sessions from 0.5 s to 10 s; expiries are checked every tick. */
    static final int TICK_MILLIS = 500;

    static {
        // Read once per JVM by ZooKeeper, so set before any server starts: tests count watches
        // through the four-letter words wchc and wchs.
        System.setProperty("zookeeper.4lw.commands.whitelist", "*");
        System.setProperty("zookeeper.forceSync", System.getProperty("dlm.test.zookeeper.forceSync", "no"));
    }

    private static TestingServer shared;

    private TestZooKeeper() {}

    /** The server shared by the test classes that do not stop theirs; started on first use. */
    static synchronized TestingServer shared() {
        if (shared == null) {
            shared = start(-1);
            Runtime.getRuntime().addShutdownHook(new Thread(TestZooKeeper::closeShared, "dlm-test-zookeeper-stop"));
        }
        return shared;
    }

    private static synchronized void closeShared() {
        try {
            shared.close();
        } catch (IOException e) {
            // The JVM is ending anyway.
        }
    }

    /**
     * Starts a server of its own, e.g. to stop and restart it.
     *
     * @param port a port, or {@code -1} for any free one
     * @return the running server
     */
    static TestingServer start(int port) {
        InstanceSpec spec = new InstanceSpec(null, port, -1, -1, true, -1, TICK_MILLIS, -1, Map.of());
        try {
            return new TestingServer(spec, true);
        } catch (Exception e) {
            throw new IllegalStateException("could not start an in-process ZooKeeper server", e);
        }
    }

    /** A base path no other test class or rerun uses. */
    static String basePath(Class<?> testClass) {
        return "/dlm-test/" + testClass.getSimpleName() + "-" + UUID.randomUUID();
    }

    /**
     * Sends a four-letter word to a server.
     *
     * @param port the server's client port
     * @param word e.g. {@code wchc}
     * @return the server's answer
     */
    static String fourLetterWord(int port, String word) {
        try {
            return FourLetterWordMain.send4LetterWord("127.0.0.1", port, word);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(word + " failed", e);
        }
    }
}
