/**
 * The {@code redis} backend: leases as Redis hashes that expire by Redis's clock, one Lua script
 * per operation, fencing tokens from a per-resource counter, and waiters woken by a release
 * published on the resource's channel.
 *
 * <p>{@link io.dlm.backend.redis.RedisLockBackendProvider} is the entry point that
 * {@link java.util.ServiceLoader} finds; everything else is internal. The project's
 * {@code docs/backends/redis.md} describes the data layout, settings and guarantees.
 */
@NullMarked
package io.dlm.backend.redis;

import org.jspecify.annotations.NullMarked;
