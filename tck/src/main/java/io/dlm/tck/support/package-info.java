/**
 * Small helpers that backends' own tests share, beside the rule suites: {@link
 * io.dlm.tck.support.CapturedLog} records what a class logs, so a test can check the warnings the
 * contract asks for (E1a: an unknown {@code dlm.*} key is logged as a warning).
 */
@NullMarked
package io.dlm.tck.support;

import org.jspecify.annotations.NullMarked;
