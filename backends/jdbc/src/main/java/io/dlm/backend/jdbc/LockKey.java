package io.dlm.backend.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A resource id as the lock table stores it: the id's UTF-8 bytes, and their SHA-256 as the
 * primary key (V1).
 *
 * <p>Ids are kept as bytes, never as text: PostgreSQL text cannot hold {@code \0}, and MariaDB's
 * usual collations fold case and ignore trailing spaces, whereas the contract compares ids exactly.
 * UTF-8 encodes every id without an unpaired surrogate losslessly, so equal bytes mean equal ids.
 * The key is a hash because a 1024-char id takes up to 3072 bytes, beyond what a B-tree index
 * entry may hold on PostgreSQL (about 2700 bytes) and right at MariaDB's limit.
 *
 * @param hash SHA-256 of {@link #id}, 32 bytes, the table's primary key
 * @param id the resource id in UTF-8
 */
record LockKey(byte[] hash, byte[] id) {

    private static final HexFormat HEX = HexFormat.of();

    /** One digest per thread: {@link MessageDigest} is not thread-safe, and looking one up costs. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(LockKey::newDigest);

    /**
     * The key of a resource.
     *
     * @param resourceId a valid resource id (checked by the runtime)
     * @return its key
     */
    static LockKey of(String resourceId) {
        byte[] id = utf8(resourceId);
        MessageDigest digest = SHA_256.get();
        return new LockKey(digest.digest(id), id);
    }

    /**
     * The bytes an id is stored as.
     *
     * @param id a valid id
     * @return its UTF-8 encoding
     */
    static byte[] utf8(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The key in lower-case hex, as PostgreSQL's {@code encode(lock_key, 'hex')} spells it in
     * release notifications.
     *
     * @return 64 hex digits
     */
    String hex() {
        return HEX.formatHex(hash);
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
