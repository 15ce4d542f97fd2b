package io.dlm.backend.zookeeper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

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
 *
 * <p>{@link #decode} turns a lock node's name back into its id, for listing (O4); it accepts only
 * the names {@link #encode} yields, so that other nodes under the base path are never taken for
 * locks.
 */
final class NodePaths {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The longest id (V1), in UTF-16 chars. */
    private static final int MAX_ID_LENGTH = 1024;

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

    /**
     * The id whose lock node has this name, the inverse of {@link #encode}.
     *
     * @param name a child of the base path
     * @return the id, or {@code null} if no valid id (V1: 1 to 1024 chars) is encoded as {@code
     *     name}: a key node or {@code .clock} (they have a dot), a name not made of the encoding's
     *     characters, bytes that are not UTF-8, or a spelling {@link #encode} would not choose
     *     ({@code %41} for {@code A}, lower-case hex), which cannot be DLM's lock node
     */
    static @Nullable String decode(String name) {
        if (name.isEmpty()) {
            return null;
        }
        byte[] bytes = new byte[name.length()];
        int length = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                int high = i + 2 < name.length() ? hexDigit(name.charAt(i + 1)) : -1;
                int low = high < 0 ? -1 : hexDigit(name.charAt(i + 2));
                if (low < 0) {
                    return null;
                }
                bytes[length++] = (byte) (high << 4 | low);
                i += 2;
            } else if (c < 0x80) {
                bytes[length++] = (byte) c;
            } else {
                return null;
            }
        }
        String id;
        try {
            // Strict: a lenient decoder would map malformed bytes to U+FFFD, another id's name.
            id = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        // The encoding is one-to-one, so only the name it gives the id is that id's lock node.
        return id.length() <= MAX_ID_LENGTH && encode(id).equals(name) ? id : null;
    }

    /** Upper-case hexadecimal only, as {@link #encode} writes it. */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
