package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockManager;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * V1 across managers: two namespaces of which one starts with the other would map two ids to one
 * key ({@code /a/} + {@code b/x} is {@code /a/b/} + {@code x}); whichever manager comes second is
 * refused with an {@link IllegalArgumentException} naming {@code dlm.etcd.namespace}, and the
 * keys of namespaces that do not nest stay namespace + id.
 */
class EtcdNestedNamespaceTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    @Test
    void anInnerNamespaceOpenedAfterTheOuterOneIsRefused() {
        String outer = "/dlm-test/nest-" + UUID.randomUUID() + "/a/";
        try (LockManager outerSide = open(outer);
                LockManager innerSide = open(outer + "b/")) {
            assertThat(outerSide.lock("b/x", "outer-client", 0)).isTrue();
            assertRefused(() -> innerSide.lock("x", "inner-client", 0), outer);
            // The outer side goes on, and the refused inner side left no registration behind.
            assertThat(outerSide.unlock("b/x", "outer-client")).isTrue();
            try (LockManager outerAgain = open(outer)) {
                assertThat(outerAgain.lock("b/y", "outer-client", 0)).isTrue();
            }
        }
    }

    @Test
    void anOuterNamespaceOpenedAfterTheInnerOneIsRefused() {
        String outer = "/dlm-test/nest-" + UUID.randomUUID() + "/a/";
        try (LockManager innerSide = open(outer + "b/");
                LockManager outerSide = open(outer)) {
            assertThat(innerSide.lock("x", "inner-client", 0)).isTrue();
            assertRefused(() -> outerSide.lock("b/x", "outer-client", 0), outer + "b/");
            assertThat(innerSide.inspect("x"))
                    .hasValueSatisfying(info -> assertThat(info.clientId()).isEqualTo("inner-client"));
        }
    }

    /** Siblings that merely share a prefix of characters, not a whole namespace, are fine. */
    @Test
    void namespacesThatDoNotNestWorkSideBySide() {
        String base = "/dlm-test/nest-" + UUID.randomUUID() + "/";
        try (LockManager one = open(base + "a/");
                LockManager other = open(base + "ab/");
                LockManager third = open(base + "b/")) {
            assertThat(one.lock("b/x", "c", 0)).isTrue();
            assertThat(other.lock("x", "c", 0)).isTrue();
            assertThat(third.lock("x", "c", 0)).isTrue();
        }
    }

    @Test
    void aNamespaceThatOverlapsTheRegistryIsRejectedAtOpen() {
        for (String namespace : new String[] {"dlm", NamespaceRegistry.PREFIX + "x/"}) {
            assertThatThrownBy(() -> open(namespace))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.etcd.namespace");
        }
    }

    private static void assertRefused(Runnable call, String other) {
        assertThatThrownBy(call::run).satisfies(thrown -> {
            Throwable cause = thrown instanceof IllegalArgumentException ? thrown : thrown.getCause();
            assertThat(cause)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.etcd.namespace")
                    .hasMessageContaining("'" + other + "'");
        });
    }

    private static LockManager open(String namespace) {
        return ETCD.open(namespace);
    }
}
