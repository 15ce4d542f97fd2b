/**
 * Small helpers that the modules' own tests share, beside the rule suites: {@link
 * io.dlm.tck.support.CapturedLog} records what a class logs, so a test can check the warnings the
 * contract asks for (E1a: an unknown {@code dlm.*} key is logged as a warning); {@link
 * io.dlm.tck.support.TemporarySystemProperties} configures one test through system properties
 * (D1, D6), and {@link io.dlm.tck.support.ConfiguredContainer} runs a CDI SE container with them;
 * {@link io.dlm.tck.support.OpenSsl} makes certificates for backends' TLS tests; {@link
 * io.dlm.tck.support.LosingReplies} loses the replies of applied acquisitions, for X5's undo on a
 * real engine; {@link io.dlm.tck.support.RedisServers} starts a private redis-server for tests that
 * stop, pause or restart it.
 */
@NullMarked
package io.dlm.tck.support;

import org.jspecify.annotations.NullMarked;
