package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * V1: ids are opaque strings of 1 to 1024 UTF-16 chars without unpaired surrogates, compared
 * exactly. Every id here starts with a random prefix, so a backend that escapes wrongly shows up
 * as two ids colliding or an id coming back changed.
 */
abstract class IdentifierRules extends RuleGroup {

    /** Characters that engines treat specially: path separators, globs, LIKE wildcards, quotes. */
    private static final List<String> AWKWARD = List.of(
            "/",
            "a/b/../c",
            ":",
            "*",
            "?",
            "%",
            "%25",
            "_",
            "'",
            "\"",
            "`",
            "\\",
            " ",
            " leading and trailing ",
            "\0",
            "\n",
            "\r\n",
            "\t",
            "锁🔒",
            "Ωμέγα",
            "$1 {x} [y] (z) | & ; # @ ! ~ ^ + =",
            "<script>");

    IdentifierRules(LockManagerTck tck) {
        super(tck);
    }

    @Test
    void V1_awkwardCharactersAreOrdinaryInResourceIds() {
        LockManager manager = manager();
        String client = client("holder");
        String prefix = resource();
        List<Executable> checks = new ArrayList<>();
        for (String awkward : AWKWARD) {
            String resource = prefix + awkward;
            checks.add(() -> {
                assertThat(manager.lock(resource, client, 0))
                        .as("lock(%s)", printable(resource))
                        .isTrue();
                assertThat(manager.inspect(resource).map(LockInfo::resourceId))
                        .as("inspect(%s).resourceId", printable(resource))
                        .contains(resource);
            });
        }
        assertEach("V1 awkward resource ids", checks);
        // Each id must have been its own lock: all of them were free when taken, and each still is held.
        for (String awkward : AWKWARD) {
            assertHeldBy(manager, prefix + awkward, client);
            assertThat(manager.unlock(prefix + awkward, client)).isTrue();
        }
    }

    @Test
    void V1_awkwardCharactersAreOrdinaryInClientIds() {
        LockManager manager = manager();
        String prefix = client("c");
        List<Executable> checks = new ArrayList<>();
        for (String awkward : AWKWARD) {
            String resource = resource();
            String client = prefix + awkward;
            checks.add(() -> {
                assertThat(manager.lock(resource, client, 0))
                        .as("lock by %s", printable(client))
                        .isTrue();
                assertThat(manager.inspect(resource).map(LockInfo::clientId))
                        .as("inspect().clientId")
                        .contains(client);
                assertThat(manager.heartbeat(resource, client))
                        .as("heartbeat by %s", printable(client))
                        .isTrue();
                assertThat(manager.unlock(resource, prefix))
                        .as("unlock by the bare prefix")
                        .isFalse();
                assertThat(manager.unlock(resource, client))
                        .as("unlock by %s", printable(client))
                        .isTrue();
            });
        }
        assertEach("V1 awkward client ids", checks);
    }

    @Test
    void V1_idsThatDifferInCaseSpaceOrNormalisationAreDistinct() {
        LockManager manager = manager();
        String prefix = resource();
        // "é" precomposed and decomposed: equal after NFC, different as strings.
        List<String> lookalikes = List.of("a", "A", " a", "a ", "a\t", "é", "e\u0301", "%", "_", "*", "a*", "a%");
        List<String> clients = new ArrayList<>();
        for (String suffix : lookalikes) {
            String client = client("c");
            clients.add(client);
            assertThat(manager.lock(prefix + suffix, client, 0))
                    .as("lock(%s) while its look-alikes are held", printable(prefix + suffix))
                    .isTrue();
        }
        for (int i = 0; i < lookalikes.size(); i++) {
            assertHeldBy(manager, prefix + lookalikes.get(i), clients.get(i));
        }
        assertFree(manager, prefix);
        assertFree(manager, prefix + "b");
    }

    @Test
    void V1_clientIdsAreComparedExactly() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("Client");
        assertThat(manager.lock(resource, client, 0)).isTrue();
        for (String other : List.of(client.toLowerCase(java.util.Locale.ROOT), client + " ", " " + client)) {
            assertThat(manager.unlock(resource, other))
                    .as("unlock by %s", other)
                    .isFalse();
            assertThat(manager.heartbeat(resource, other))
                    .as("heartbeat by %s", other)
                    .isFalse();
        }
        assertHeldBy(manager, resource, client);
    }

    @Test
    void V1_idsOf1024CharsWorkAndDifferInTheirLastChar() {
        LockManager manager = manager();
        String base = resource();
        String longA = pad(base, 1023) + "a";
        String longB = pad(base, 1023) + "b";
        // A surrogate pair at the very end is two chars, still within 1024.
        String longPair = pad(base, 1022) + "🔒";
        String longClient = pad(client("c"), 1024);
        assertThat(longA).hasSize(1024);
        assertThat(longPair).hasSize(1024);
        assertThat(manager.lock(longA, longClient, 0)).isTrue();
        assertThat(manager.lock(longB, longClient, 0)).isTrue();
        assertThat(manager.lock(longPair, longClient, 0)).isTrue();
        LockInfo info = holder(manager, longA);
        assertThat(info.resourceId()).isEqualTo(longA);
        assertThat(info.clientId()).isEqualTo(longClient);
        assertThat(manager.unlock(longA, longClient)).isTrue();
        assertHeldBy(manager, longB, longClient);
        assertHeldBy(manager, longPair, longClient);
    }

    @Test
    void V1_idsOf1025CharsOrWithUnpairedSurrogatesAreRejected() {
        LockManager manager = manager();
        String tooLong = pad(resource(), 1025);
        String client = client("c");
        assertThatThrownBy(() -> manager.lock(tooLong, client, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resourceId");
        assertThatThrownBy(() -> manager.lock(resource(), pad(client, 1025), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clientId");
        for (String broken : List.of("\uD83D", "\uDD12", "x\uD83Dy", "\uDD12\uD83D")) {
            String resource = resource() + broken;
            assertThatThrownBy(() -> manager.lock(resource, client, 0))
                    .as("lock(%s)", printable(resource))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("resourceId");
            assertThatThrownBy(() -> manager.lock(resource(), client + broken, 0))
                    .as("lock by %s", printable(client + broken))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("clientId");
        }
        assertFree(manager, tooLong.substring(0, 1024));
    }

    /** Pads {@code prefix} with a filler to exactly {@code length} chars. */
    static String pad(String prefix, int length) {
        StringBuilder padded = new StringBuilder(prefix);
        while (padded.length() < length) {
            padded.append((char) ('a' + padded.length() % 26));
        }
        return padded.substring(0, length);
    }

    /** Control characters made visible, so a failure message says which id broke. */
    static String printable(String id) {
        StringBuilder out = new StringBuilder();
        id.chars().forEach(c -> {
            if (Character.isISOControl(c) || Character.isSurrogate((char) c)) {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", c));
            } else {
                out.append((char) c);
            }
        });
        return out.toString();
    }
}
