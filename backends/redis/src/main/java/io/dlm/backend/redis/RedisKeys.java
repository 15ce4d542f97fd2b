package io.dlm.backend.redis;

import org.jspecify.annotations.Nullable;

/**
 * Names the Redis keys and the pub/sub channel of a resource (V1).
 *
 * <p>A resource id becomes {@code <prefix>{<escaped id>}}: the lease hash. Its fencing counter is
 * that name plus {@code :fence}, its release channel that name plus {@code :released}. Escaping
 * replaces only {@code %}, <code>{</code> and <code>}</code> by their percent codes, so that
 *
 * <ul>
 *   <li>the escaped id holds no brace: the braces around it are the key's Redis Cluster hash tag,
 *       and the lease and its counter always live in one slot, so one script may touch both;
 *   <li>escaping is injective and the escaped id ends at the first <code>}</code>: two ids never
 *       share a key, and no id names another resource's counter (a lease key ends in <code>}</code>,
 *       a counter key in {@code :fence});
 *   <li>everything else ({@code *}, {@code ?}, spaces, newlines, {@code \0}, non-Latin text) stays
 *       as it is: keys are binary-safe and DLM never passes an id as a pattern, so they are harmless
 *       and keys stay readable for operators ({@code dlm:{orders/42}}).
 * </ul>
 *
 * <p>The prefix holds no brace (checked by {@link RedisSettings}); prefixes that differ therefore
 * name disjoint key spaces. Ids are at most 1024 UTF-16 chars (V1), so a key is at most about
 * 3 KB.
 */
final class RedisKeys {

    private static final String FENCE_SUFFIX = ":fence";
    private static final String CHANNEL_SUFFIX = ":released";
    private static final String UNDONE_SUFFIX = ":undone:";

    private final String prefix;

    /**
     * Creates the naming scheme of one key prefix.
     *
     * @param prefix the key prefix, without braces
     */
    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /**
     * The key of the resource's lease hash (fields {@code owner}, {@code token}, {@code lease},
     * {@code attempt}).
     *
     * @param resourceId the resource
     * @return the key
     */
    String lease(String resourceId) {
        return tagged(resourceId).toString();
    }

    /**
     * The keys a script needs for the resource: the lease hash and the fencing counter, in one
     * Redis Cluster slot.
     *
     * @param resourceId the resource
     * @return {@code [lease key, fencing counter key]}
     */
    String[] leaseAndFence(String resourceId) {
        String lease = lease(resourceId);
        return new String[] {lease, lease + FENCE_SUFFIX};
    }

    /**
     * The keys of an acquisition: the lease hash, the fencing counter and the tombstone of the
     * attempt, in one Redis Cluster slot.
     *
     * @param resourceId the resource
     * @param attempt the runtime's id of the acquisition
     * @return {@code [lease key, fencing counter key, tombstone key]}
     */
    String[] acquisition(String resourceId, long attempt) {
        String lease = lease(resourceId);
        return new String[] {lease, lease + FENCE_SUFFIX, tombstone(lease, attempt)};
    }

    /**
     * The keys of an undo: the lease hash and the tombstone the undo leaves for its attempt.
     *
     * @param resourceId the resource
     * @param attempt the runtime's id of the acquisition to undo
     * @return {@code [lease key, tombstone key]}
     */
    String[] undo(String resourceId, long attempt) {
        String lease = lease(resourceId);
        return new String[] {lease, tombstone(lease, attempt)};
    }

    private static String tombstone(String lease, long attempt) {
        return lease + UNDONE_SUFFIX + Long.toHexString(attempt);
    }

    /**
     * The channel that a release of the resource is published on.
     *
     * @param resourceId the resource
     * @return the channel name
     */
    String releaseChannel(String resourceId) {
        return tagged(resourceId).append(CHANNEL_SUFFIX).toString();
    }

    /**
     * A {@code SCAN MATCH} pattern that matches the lease keys of this prefix whose resource id
     * starts with {@code idPrefix}, and no other key: a lease key is the only one that ends in
     * <code>}</code>. Glob characters of the prefix and the id are escaped, so they match only
     * themselves.
     *
     * @param idPrefix the start of the resource ids, possibly empty
     * @return the pattern
     */
    String leasePattern(String idPrefix) {
        String tagged = tagged(idPrefix).toString();
        // Drop the closing brace of the tag: the id goes on, then the key ends with one.
        String open = tagged.substring(0, tagged.length() - 1);
        StringBuilder pattern = new StringBuilder(open.length() + 8);
        for (int i = 0; i < open.length(); i++) {
            char c = open.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.append("*}").toString();
    }

    /**
     * The resource id whose lease key this is: the inverse of {@link #lease}.
     *
     * @param key a key of the server
     * @return the id, or {@code null} when the key is not a lease key of this prefix
     */
    @Nullable
    String resourceIdOf(String key) {
        int start = prefix.length() + 1;
        if (key.length() <= start
                || !key.startsWith(prefix)
                || key.charAt(start - 1) != '{'
                || key.charAt(key.length() - 1) != '}'
                || key.indexOf('}') != key.length() - 1) {
            return null;
        }
        StringBuilder id = new StringBuilder(key.length() - start - 1);
        for (int i = start; i < key.length() - 1; i++) {
            char c = key.charAt(i);
            if (c != '%') {
                id.append(c);
                continue;
            }
            if (i + 2 >= key.length() - 1) {
                return null;
            }
            switch (key.substring(i + 1, i + 3)) {
                case "25" -> id.append('%');
                case "7B" -> id.append('{');
                case "7D" -> id.append('}');
                default -> {
                    return null;
                }
            }
            i += 2;
        }
        return id.length() == 0 ? null : id.toString();
    }

    private StringBuilder tagged(String resourceId) {
        StringBuilder key = new StringBuilder(prefix.length() + resourceId.length() + 16);
        key.append(prefix).append('{');
        for (int i = 0; i < resourceId.length(); i++) {
            char c = resourceId.charAt(i);
            switch (c) {
                case '%' -> key.append("%25");
                case '{' -> key.append("%7B");
                case '}' -> key.append("%7D");
                default -> key.append(c);
            }
        }
        return key.append('}');
    }
}
