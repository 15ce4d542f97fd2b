/**
 * The DLM lock contract: {@link io.dlm.LockManager} and the types it speaks in.
 *
 * <p>Every rule id cited in this package's Javadoc (V1, L2, F1, ...) refers to the contract in
 * {@code docs/contract.md}; the TCK names its tests after the same ids.
 */
@NullMarked
package io.dlm;

import org.jspecify.annotations.NullMarked;
