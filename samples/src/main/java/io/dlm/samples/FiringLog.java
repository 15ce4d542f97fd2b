package io.dlm.samples;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Which node ran each firing of the scheduled job. */
@ApplicationScoped
public class FiringLog {

    private final Map<Integer, List<String>> runs = new ConcurrentHashMap<>();

    /** For CDI. */
    public FiringLog() {}

    void ran(int firing, String node) {
        runs.computeIfAbsent(firing, f -> new CopyOnWriteArrayList<>()).add(node);
    }

    /**
     * How many times each firing ran, across all nodes.
     *
     * @param firings how many firings there were
     * @return one count per firing, in order
     */
    int[] runsPerFiring(int firings) {
        int[] counts = new int[firings];
        for (int firing = 0; firing < firings; firing++) {
            counts[firing] = runs.getOrDefault(firing, List.of()).size();
        }
        return counts;
    }

    /**
     * How many firings each node ran.
     *
     * @return runs by node
     */
    Map<String, Long> runsPerNode() {
        Map<String, Long> perNode = new java.util.TreeMap<>();
        runs.values().forEach(nodes -> nodes.forEach(node -> perNode.merge(node, 1L, Long::sum)));
        return perNode;
    }
}
