/**
 * O1 metrics of every DLM lock manager through the OpenTelemetry API: {@code
 * dlm.lock.wait.duration}, {@code dlm.lock.held.duration}, {@code dlm.lock.lease.lost} and {@code
 * dlm.lock.held}. The runtime finds {@link io.dlm.opentelemetry.OpenTelemetryLockObserverFactory}
 * with {@link java.util.ServiceLoader} when a manager opens, so every backend and the interceptor
 * are measured without code; {@link io.dlm.opentelemetry.DlmOpenTelemetry} chooses the
 * OpenTelemetry instance when the global one is not the right one.
 *
 * <p>The OpenTelemetry API is a {@code provided} dependency: without it on the class path the
 * factory fails to load, the runtime leaves it out, and locking is unchanged.
 */
@NullMarked
package io.dlm.opentelemetry;

import org.jspecify.annotations.NullMarked;
