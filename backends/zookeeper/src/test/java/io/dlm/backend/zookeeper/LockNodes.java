package io.dlm.backend.zookeeper;

import java.util.List;
import org.apache.curator.framework.CuratorFramework;

/**
 * What one resource's lock leaves under a base path, as a Curator client beside the backend sees
 * it: the lock node, named by the encoded id ({@link NodePaths#encode}), and the acquisition's
 * key node, whose name is that name, a dot and more.
 */
final class LockNodes {

    private LockNodes() {}

    /**
     * The resource's nodes under the base path.
     *
     * @param client a connected client
     * @param basePath the base path
     * @param resourceId the resource
     * @return their names, sorted: the lock node first, then its key node; empty when not held
     * @throws Exception if ZooKeeper cannot list the base path
     */
    static List<String> of(CuratorFramework client, String basePath, String resourceId) throws Exception {
        String name = NodePaths.encode(resourceId);
        return client.getChildren().forPath(basePath).stream()
                .filter(child -> child.equals(name) || child.startsWith(name + "."))
                .sorted()
                .toList();
    }
}
