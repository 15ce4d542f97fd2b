package io.dlm.backend.zookeeper;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The data of a lock node: who holds the lock, for how long each renewal lasts, and the nonce of
 * the acquisition (which names its key node). Stored as UTF-8 text, so that {@code zkCli get}
 * shows it to an operator:
 *
 * <pre>
 * dlm1
 * &lt;lease in milliseconds&gt;
 * &lt;nonce&gt;
 * &lt;client id&gt;
 * </pre>
 *
 * The client id comes last because it may itself contain line breaks (V1).
 *
 * @param clientId the holder
 * @param leaseMillis the lease length; the lease ends that long after the acquisition or last
 *     renewal was sent (the holder's count) and is taken over only once a contender has seen the
 *     node unchanged that long (earlier versions counted it from the node's mtime)
 * @param nonce hexadecimal, unique per acquisition
 */
record LockRecord(String clientId, long leaseMillis, String nonce) {

    private static final String FORMAT = "dlm1";

    /**
     * The node data.
     *
     * @return UTF-8 bytes
     */
    byte[] encode() {
        return (FORMAT + '\n' + leaseMillis + '\n' + nonce + '\n' + clientId).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Reads node data.
     *
     * @param path the node, for the error message
     * @param data what the node holds
     * @return the record
     * @throws IllegalStateException if the node was not written by DLM
     */
    static LockRecord decode(String path, byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        int first = text.indexOf('\n');
        int second = first < 0 ? -1 : text.indexOf('\n', first + 1);
        int third = second < 0 ? -1 : text.indexOf('\n', second + 1);
        if (third < 0 || !text.startsWith(FORMAT + '\n')) {
            throw foreign(path, null);
        }
        long leaseMillis;
        try {
            leaseMillis = Long.parseLong(text.substring(first + 1, second));
        } catch (NumberFormatException e) {
            throw foreign(path, e);
        }
        if (leaseMillis <= 0 || third == second + 1) {
            throw foreign(path, null);
        }
        return new LockRecord(text.substring(third + 1), leaseMillis, text.substring(second + 1, third));
    }

    private static IllegalStateException foreign(String path, @Nullable Exception cause) {
        return new IllegalStateException(
                "ZooKeeper node " + path + " holds data DLM did not write; is the base path shared with another tool?",
                cause);
    }
}
