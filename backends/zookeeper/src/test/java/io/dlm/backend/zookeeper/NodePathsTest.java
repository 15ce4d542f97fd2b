package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.common.PathUtils;
import org.junit.jupiter.api.Test;

/** V1: every id becomes one valid, distinct node name without a dot. */
class NodePathsTest {

    private final NodePaths paths = new NodePaths("/dlm/locks");

    @Test
    void plainIdsStayReadable() {
        assertThat(paths.lockPath("orders-42_a")).isEqualTo("/dlm/locks/orders-42_a");
    }

    @Test
    void awkwardIdsBecomeValidDistinctNamesWithoutDots() {
        List<String> ids = List.of(
                ".",
                "..",
                "/",
                "a/b/../c",
                "zookeeper",
                "%",
                "%25",
                "%2F",
                " ",
                "\0",
                "\n",
                "\u0001",
                "\u007f",
                "\u009f",
                "\ud83d\udd12",
                "锁",
                "\ufff0",
                "\uffff",
                ".clock",
                "a.b",
                "A",
                "a");
        Set<String> names = new HashSet<>();
        for (String id : ids) {
            String path = paths.lockPath(id);
            PathUtils.validatePath(path);
            String name = path.substring("/dlm/locks/".length());
            assertThat(name).as("name of %s", id).doesNotContain(".", "/").isNotEmpty();
            names.add(name);
        }
        assertThat(names).hasSameSizeAs(ids);
    }

    @Test
    void lockNodeNamesDecodeBackToTheirIdsAndNoOtherNameDoes() {
        for (String id : List.of("orders-42_a", "a/b/../c", ".", "%2F", "\0", "añ", "\ud83d\udd12", "锁", "\uffff")) {
            assertThat(NodePaths.decode(NodePaths.encode(id))).as("id %s", id).isEqualTo(id);
        }
        assertThat(NodePaths.decode(NodePaths.encode("x".repeat(1024)))).hasSize(1024);
        assertThat(NodePaths.decode(NodePaths.encode("x".repeat(1025))))
                .as("longer than V1 allows")
                .isNull();
        String lock = NodePaths.encode("r");
        for (String name : List.of(
                "",
                NodePaths.keyPath(lock, "00ff"),
                ".clock",
                "%41", // "A" is written as it is
                "%2f", // lower-case hex
                "%2",
                "%G0",
                "%FF", // not UTF-8
                "%ED%A0%BD", // an encoded surrogate, which UTF-8 forbids
                "%C0%AF", // an overlong '/'
                "a b",
                "é")) {
            assertThat(NodePaths.decode(name)).as("name %s", name).isNull();
        }
    }

    @Test
    void keyAndClockNodesCannotClashWithLockNodes() {
        String lock = paths.lockPath("r");
        assertThat(NodePaths.keyPath(lock, "00ff")).isEqualTo("/dlm/locks/r.00ff");
        assertThat(paths.clockPath()).isEqualTo("/dlm/locks/.clock");
    }

    @Test
    void longestIdsStayWithinBounds() {
        String id = "锁".repeat(1024);
        String path = paths.lockPath(id);
        PathUtils.validatePath(path);
        assertThat(path).hasSize("/dlm/locks/".length() + 1024 * 9);
    }

    @Test
    void rootBasePathHasNoDoubleSlash() {
        assertThat(new NodePaths("/").lockPath("r")).isEqualTo("/r");
    }
}
