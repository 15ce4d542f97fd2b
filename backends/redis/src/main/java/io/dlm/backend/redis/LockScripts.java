package io.dlm.backend.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts that make each lock operation one atomic step on Redis, one round trip each.
 *
 * <p>A lease is a hash at {@code KEYS[1]} with fields {@code owner} (the client id),
 * {@code token} (its fencing token), {@code lease} (its length in milliseconds, so that a renewal
 * restores the full length, H1) and {@code attempt} (the runtime's id of the acquisition that made
 * it, so that an acquisition whose reply was lost can be undone and nothing else, X5), expiring by
 * Redis's own clock ({@code PEXPIRE}/{@code PTTL}, E2, E3). Redis never returns an expired key, so
 * every script sees an expired lease as absent and nothing can revive it (H2). The fencing counter
 * at {@code KEYS[2]} has no expiry.
 */
final class LockScripts {

    /**
     * Takes a free resource. {@code ARGV[1]} is the client id, {@code ARGV[2]} the lease in
     * milliseconds, {@code ARGV[3]} the attempt id, kept as the text it came as (a 64-bit id would
     * lose digits as a Lua number). Returns {@code {0, token}} when acquired, {@code {1, pttl}} when
     * the caller already holds it, {@code {2, pttl}} when another client does, and {@code {3, 0}}
     * when this attempt was undone before it arrived: the tombstone at {@code KEYS[3]} that {@link
     * #UNDO} leaves makes an acquisition that reached Redis after its undo (by another connection,
     * or held up in the network) take nothing (X5, N3).
     *
     * <p>The token is one more than the counter, or Redis's clock in microseconds if that is
     * larger (F1). The counter alone never goes back while Redis keeps its data; the clock floor
     * keeps tokens growing even if the counter is lost (a restart without persistence, a failover
     * to a replica that had not received the last increments), as long as the server clock has
     * not been set back past the lost values. Every step is an integer below 2^53, exact in Lua.
     */
    static final Script ACQUIRE = new Script("acquire", """
            if redis.call('EXISTS', KEYS[3]) == 1 then return {3, 0} end
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner then
              local status = 2
              if owner == ARGV[1] then status = 1 end
              return {status, redis.call('PTTL', KEYS[1])}
            end
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
            local last = tonumber(redis.call('GET', KEYS[2]) or '0')
            local step = 1
            if now > last then step = now - last end
            local token = redis.call('INCRBY', KEYS[2], step)
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token, 'lease', ARGV[2], 'attempt', ARGV[3])
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            return {0, token}
            """);

    /**
     * Resets a live lease of {@code ARGV[1]} to its full length (H1); returns 1 if it did, else 0
     * (H2). {@code ARGV[2]} is the fencing token of the acquisition to renew, as decimal text, or
     * {@code "0"} for whichever acquisition the client holds (K4). Tokens are compared as numbers,
     * whatever text Redis wrote the stored one as: they are integers below 2^53, exact in Lua.
     */
    static final Script RENEW = new Script("renew", """
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'lease', 'token')
            if lease[1] == ARGV[1] and (ARGV[2] == '0' or tonumber(lease[3]) == tonumber(ARGV[2])) then
              redis.call('PEXPIRE', KEYS[1], lease[2])
              return 1
            end
            return 0
            """);

    /**
     * Deletes a live lease of {@code ARGV[1]} and announces it on channel {@code ARGV[3]} (U1, U3);
     * returns 1 if it did, else 0 and changes nothing (U2). {@code ARGV[2]} is the fencing token as
     * in {@link #RENEW} ({@code "0"}: any acquisition of the client). Safe to retry (U4): a retry
     * finds the lease gone or owned by someone else, or by a later acquisition with another token.
     */
    static final Script RELEASE = new Script("release", """
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'token')
            if lease[1] == ARGV[1] and (ARGV[2] == '0' or tonumber(lease[2]) == tonumber(ARGV[2])) then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[3], '')
              return 1
            end
            return 0
            """);

    /**
     * Deletes the lease of {@code ARGV[1]} only if the acquisition {@code ARGV[2]} made it (X5), and
     * announces it on channel {@code ARGV[3]} as a release does, so that waiters look again; returns
     * 1 if it did. Else it leaves a tombstone at {@code KEYS[2]} for {@code ARGV[4]} milliseconds,
     * so that the acquisition, should it reach Redis only now, takes nothing ({@link #ACQUIRE}), and
     * returns 0. A lease the client held before, or took by another attempt, carries another attempt
     * id and stays. Sent as a whole {@code EVAL}, never {@code EVALSHA}, so that it is one command
     * that keeps its place behind the acquisition it undoes where both share a connection.
     */
    static final Script UNDO = new Script("undo", """
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'attempt')
            if lease[1] == ARGV[1] and lease[2] == ARGV[2] then
              redis.call('DEL', KEYS[1])
              redis.call('PUBLISH', ARGV[3], '')
              return 1
            end
            redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
            return 0
            """);

    /**
     * Reads a live lease (I1): returns {@code {owner, token, pttl}}, or an empty list when the
     * resource is free. The token is returned as text and parsed in Java.
     */
    static final Script INSPECT = new Script("inspect", """
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'token')
            if not lease[1] then return {} end
            return {lease[1], lease[2], redis.call('PTTL', KEYS[1])}
            """);

    /**
     * Reads one key that a listing's {@code SCAN} met, as {@link #INSPECT} does, but without failing
     * on a key that is not a hash: a key prefix shared with other data (even the empty one) can hold
     * a plain key that fits the lease pattern, and {@code HMGET} would answer it {@code WRONGTYPE}.
     * Returns {@code {owner, token, pttl}}, an empty list when the key is gone or holds no owner,
     * and {@code {type}} (one element) for a key of another type, which the listing skips.
     */
    static final Script INSPECT_LISTED = new Script("inspect-listed", """
            local kind = redis.call('TYPE', KEYS[1])['ok']
            if kind == 'none' then return {} end
            if kind ~= 'hash' then return {kind} end
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'token')
            if not lease[1] then return {} end
            return {lease[1], lease[2], redis.call('PTTL', KEYS[1])}
            """);

    /**
     * Breaks the live lease at {@code KEYS[1]}, whoever holds it (O4), and announces it on channel
     * {@code ARGV[1]} as a release does, so that waiters look again (U3). Returns {@code {owner,
     * token, pttl}} of the lease it deleted, or an empty list when the resource was free. The
     * fencing counter is left alone, so the next acquisition gets a larger token (F1).
     */
    static final Script FORCE_RELEASE = new Script("force-release", """
            local lease = redis.call('HMGET', KEYS[1], 'owner', 'token')
            if not lease[1] then return {} end
            local pttl = redis.call('PTTL', KEYS[1])
            redis.call('DEL', KEYS[1])
            redis.call('PUBLISH', ARGV[1], '')
            return {lease[1], lease[2], pttl}
            """);

    private LockScripts() {}

    /**
     * One script, with the SHA-1 digest that {@code EVALSHA} names it by.
     *
     * @param name what it does, for error messages
     * @param source the Lua source
     * @param sha1 the lower-case hex SHA-1 of the source, as Redis computes it
     */
    record Script(String name, String source, String sha1) {

        Script(String name, String source) {
            this(name, source, sha1(source));
        }

        private static String sha1(String source) {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-1");
                return HexFormat.of().formatHex(digest.digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                // Every Java platform must provide SHA-1 (MessageDigest's Javadoc).
                throw new IllegalStateException(e);
            }
        }
    }
}
