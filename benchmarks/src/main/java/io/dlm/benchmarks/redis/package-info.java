/**
 * JMH benchmarks of DLM's {@code redis} backend beside Redisson's {@code RLock} and a bare
 * {@code SET NX PX} lock on Lettuce, all on the same Redis in one run, plus two plain programs:
 * {@link io.dlm.benchmarks.redis.RedisRoundTrips} counts the commands each implementation sends per
 * operation, {@link io.dlm.benchmarks.redis.RedisInterleavedLatency} times them taking turns. The
 * module's {@code README.md} has the commands and the latest numbers.
 */
@NullMarked
package io.dlm.benchmarks.redis;

import org.jspecify.annotations.NullMarked;
