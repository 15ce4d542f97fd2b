package io.dlm.cdi;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the application campaigns for (S4): the names in {@code dlm.leadership.names}, the
 * application's client id and the campaigns' lease.
 *
 * @param names the names, trimmed, without blanks or repeats, in the order listed
 * @param clientId {@code dlm.client-id}, by default host name and process id
 * @param lease {@code dlm.leadership.lease}, by default {@link #DEFAULT_LEASE}
 */
record LeadershipSettings(List<String> names, String clientId, Duration lease) {

    /** The key that lists the names to campaign for, separated by commas (S4). */
    static final String NAMES = "dlm.leadership.names";
    /** The key of the application's client id (S4). */
    static final String CLIENT_ID = "dlm.client-id";
    /** The key of the campaigns' lease length (S3, S4). */
    static final String LEASE = "dlm.leadership.lease";

    /**
     * A leader that stops (a crash, a pause) is replaced about this long after its last renewal;
     * renewed every third of it by default (K1), the lease survives two lost renewals. Kubernetes'
     * leader election uses the same length.
     */
    static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    /**
     * Reads the settings.
     *
     * @param config the application's configuration
     * @return the settings, or empty when no name is listed (and nothing else is read)
     * @throws IllegalArgumentException naming the key of an invalid lease (DLM1012)
     */
    static Optional<LeadershipSettings> read(DlmConfig config) {
        List<String> names = names(config.get(NAMES).orElse(""));
        if (names.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LeadershipSettings(
                names, config.get(CLIENT_ID).orElseGet(LeadershipSettings::defaultClientId), lease(config)));
    }

    private static Duration lease(DlmConfig config) {
        try {
            return config.duration(LEASE).orElse(DEFAULT_LEASE);
        } catch (IllegalArgumentException invalid) {
            throw new IllegalArgumentException(DlmMessages.invalidSetting(invalid.getMessage()), invalid);
        }
    }

    private static List<String> names(String list) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : list.split(",", -1)) {
            String trimmed = name.trim();
            if (!trimmed.isEmpty()) {
                names.add(trimmed);
            }
        }
        return List.copyOf(names);
    }

    /**
     * The client id S4 prescribes when none is configured: host name and process id, so that
     * another node, or a restarted process on this one, is another client.
     *
     * @return {@code <host name>:<process id>}
     */
    static String defaultClientId() {
        return hostName() + ":" + ProcessHandle.current().pid();
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException | SecurityException e) {
            // A host whose own name does not resolve still names itself in the environment.
            String fromEnvironment = System.getenv("HOSTNAME");
            if (fromEnvironment == null || fromEnvironment.isBlank()) {
                fromEnvironment = System.getenv("COMPUTERNAME");
            }
            return fromEnvironment == null || fromEnvironment.isBlank() ? "localhost" : fromEnvironment.trim();
        }
    }
}
