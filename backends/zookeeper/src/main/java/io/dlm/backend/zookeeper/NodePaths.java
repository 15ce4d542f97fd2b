package io.dlm.backend.zookeeper;

import java.nio.charset.StandardCharsets;

/**
 * Turns resource ids into ZooKeeper paths (V1). An id may hold any character, including {@code /},
 * control characters and whole words like {@code .} or {@code ..} that ZooKeeper rejects as path
 * elements, so each id becomes one node name by percent-encoding its UTF-8 bytes: ASCII letters,
 * digits, {@code -} and {@code _} stay as they are, every other byte becomes {@code %XX}.
 *
 * <p>The encoding is one-to-one, so distinct ids never share a node, and it never yields a
 * {@code .}: the names with a dot ({@code <id>.<nonce>} and {@code .clock}) can never clash with a
 * lock node. A 1024-char id becomes at most 9216 chars (a non-Latin char is three bytes, each
 * {@code %XX}); ZooKeeper sets no limit on a name's length below its 1 MB packet size.
 */
final class NodePaths {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String basePath;
    private final String clockPath;

    /**
     * @param basePath an absolute, valid ZooKeeper path without a trailing slash
     */
    NodePaths(String basePath) {
        this.basePath = basePath;
        this.clockPath = child(".clock");
    }

    /** The parent of every lock node. */
    String basePath() {
        return basePath;
    }

    /** The node written to read the leader's clock. */
    String clockPath() {
        return clockPath;
    }

    /**
     * The lock node of a resource.
     *
     * @param resourceId a valid id (V1)
     * @return its absolute path
     */
    String lockPath(String resourceId) {
        return child(encode(resourceId));
    }

    /**
     * The key node of one acquisition of a lock.
     *
     * @param lockPath the lock node's path
     * @param nonce the acquisition's nonce, hexadecimal
     * @return the key node's absolute path
     */
    static String keyPath(String lockPath, String nonce) {
        return lockPath + '.' + nonce;
    }

    private String child(String name) {
        return basePath.equals("/") ? "/" + name : basePath + '/' + name;
    }

    /**
     * Encodes an id as a node name.
     *
     * @param id any string without unpaired surrogates
     * @return a name of ASCII letters, digits, {@code -}, {@code _} and {@code %XX}
     */
    static String encode(String id) {
        byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
        StringBuilder name = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
                name.append((char) c);
            } else {
                name.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xF]);
            }
        }
        return name.toString();
    }
}
