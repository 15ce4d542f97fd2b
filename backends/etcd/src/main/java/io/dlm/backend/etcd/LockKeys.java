package io.dlm.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * How resources map to etcd keys, and holders to values (V1).
 *
 * <p>A key is the namespace followed by the resource id in UTF-8. etcd keys are plain bytes with
 * no syntax, so {@code /}, {@code \0}, spaces and any other character need no escaping; UTF-8 is
 * injective on the strings V1 admits (no unpaired surrogates), so two ids of one namespace never
 * share a key. Two namespaces of which one starts with the other would ({@code /a/} + {@code b/x}
 * is {@code /a/b/} + {@code x}); {@link NamespaceRegistry} refuses such pairs rather than change
 * the keys. Each lock is watched and compared by its exact key, never as a prefix, so {@code a}
 * and {@code a/b} are unrelated locks.
 */
final class LockKeys {

    /** The longest id V1 admits, in UTF-16 chars. */
    static final int MAX_ID_LENGTH = 1024;

    private final byte[] namespace;

    LockKeys(byte[] namespace) {
        this.namespace = namespace.clone();
    }

    /**
     * The key of a resource's lock.
     *
     * @param resourceId any V1 id
     * @return namespace + UTF-8 bytes of the id
     */
    ByteSequence key(String resourceId) {
        byte[] id = resourceId.getBytes(StandardCharsets.UTF_8);
        byte[] key = Arrays.copyOf(namespace, namespace.length + id.length);
        System.arraycopy(id, 0, key, namespace.length, id.length);
        return ByteSequence.from(key);
    }

    /**
     * The resource id a key stands for (the inverse of {@link #key(String)}).
     *
     * @param key a key under this namespace
     * @return the resource id
     */
    String resourceId(ByteSequence key) {
        byte[] bytes = key.getBytes();
        return new String(bytes, namespace.length, bytes.length - namespace.length, StandardCharsets.UTF_8);
    }

    /**
     * The resource id of a key found under the namespace by a range read, if DLM could have
     * written it (O4): the rest of the key must be the UTF-8 of a V1 id, so a key that another
     * program put under the namespace with bytes no id encodes to is not mistaken for a lock.
     * Strict decoding rejects malformed UTF-8 and encoded surrogates, which {@link
     * #resourceId(ByteSequence)} would turn into replacement characters, i.e. into another id.
     *
     * @param key a key that starts with the namespace
     * @return the id, or {@code null} when no V1 id has this key
     */
    @Nullable
    String lockResourceId(ByteSequence key) {
        byte[] bytes = key.getBytes();
        if (bytes.length <= namespace.length
                || !Arrays.equals(bytes, 0, namespace.length, namespace, 0, namespace.length)) {
            return null;
        }
        String id;
        try {
            id = StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(ByteBuffer.wrap(bytes, namespace.length, bytes.length - namespace.length))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        return id.length() <= MAX_ID_LENGTH ? id : null;
    }

    /**
     * The value stored under a held key: the lease length in whole seconds, the acquisition's
     * attempt id in hex, then the holder's client id, separated by colons. The length lets a waiter
     * bound how long the holder can keep the lock without a heartbeat; the attempt id tells one
     * acquisition of a client from another, so that an undo removes only its own (X5); the client
     * id comes last so that it may contain anything, colons too.
     *
     * @param ttlSeconds the granted lease TTL
     * @param attempt the runtime's id of the acquisition attempt
     * @param clientId the holder
     * @return the value bytes
     */
    static ByteSequence value(long ttlSeconds, long attempt, String clientId) {
        return ByteSequence.from(ttlSeconds + ":" + Long.toHexString(attempt) + ":" + clientId, StandardCharsets.UTF_8);
    }

    /**
     * Reads a value written by {@link #value(long, long, String)}.
     *
     * @param value the stored bytes
     * @return the holder, its lease TTL and the attempt that wrote it
     * @throws IllegalStateException if the key holds something DLM did not write
     */
    static Holder holder(ByteSequence value) {
        String text = value.toString(StandardCharsets.UTF_8);
        int first = text.indexOf(':');
        int second = first < 0 ? -1 : text.indexOf(':', first + 1);
        try {
            if (first <= 0 || second <= first + 1) {
                throw new NumberFormatException("no lease length or attempt id");
            }
            return new Holder(
                    text.substring(second + 1),
                    Long.parseLong(text.substring(0, first)),
                    Long.parseUnsignedLong(text.substring(first + 1, second), 16));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(
                    "A lock key holds a value this DLM did not write; is another program, or an older DLM"
                            + " that wrote no attempt ids, using the namespace?",
                    e);
        }
    }

    /**
     * Who holds a lock, as its key's value says.
     *
     * @param clientId the holder's client id
     * @param ttlSeconds the TTL of the holder's lease, an upper bound of its remaining time
     * @param attempt the runtime's id of the attempt that acquired it
     */
    record Holder(String clientId, long ttlSeconds, long attempt) {}
}
