/**
 * The DLM technology compatibility kit: abstract JUnit 5 tests that every backend runs through
 * {@link io.dlm.tck.LockManagerTck}. Each test method is named after the contract rule it checks
 * (V1, L2, F1, ...), so a failure names the broken rule.
 */
@NullMarked
package io.dlm.tck;

import org.jspecify.annotations.NullMarked;
