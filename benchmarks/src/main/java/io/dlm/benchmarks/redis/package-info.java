/**
 * The {@code redis} engine of the cross-engine benchmarks ({@link
 * io.dlm.benchmarks.redis.RedisEngine}: DLM's {@code redis} backend beside Redisson's {@code RLock}
 * and a bare {@code SET NX PX} lock on Lettuce), plus two plain programs: {@link
 * io.dlm.benchmarks.redis.RedisRoundTrips} counts the commands each implementation sends per
 * operation, {@link io.dlm.benchmarks.redis.RedisInterleavedLatency} times them taking turns. The
 * module's {@code README.md} has the commands and the latest numbers.
 */
@NullMarked
package io.dlm.benchmarks.redis;

import org.jspecify.annotations.NullMarked;
