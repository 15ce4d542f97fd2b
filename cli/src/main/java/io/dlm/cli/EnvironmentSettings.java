package io.dlm.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns {@code DLM_*} environment variables into {@code dlm.*} settings, accepting both spellings
 * in use. MicroProfile Config's, which applications already set: every character of the key that
 * is not a letter or digit becomes {@code _}, so {@code DLM_REDIS_KEY_PREFIX} is {@code
 * dlm.redis.key-prefix}; a name that spells a known key ({@link KnownSettings}) that way is read as
 * that key. And this command's own, which needs no list of keys: after {@code DLM_}, a double
 * underscore stands for {@code -} and a single one for {@code .}, letters are lowered ({@code
 * DLM_REDIS_KEY__PREFIX}). A name is upper case letters, digits and underscores; other variables,
 * and names outside that alphabet, are ignored.
 *
 * @param settings the {@code dlm.*} keys and their values
 * @param unknown the variables whose key {@code dlm} does not know, sorted (read all the same, for
 *     a backend of another project; a forced release refuses them)
 */
record EnvironmentSettings(Map<String, String> settings, List<String> unknown) {

    private static final String PREFIX = "DLM_";
    private static final Pattern NAME = Pattern.compile("DLM_[A-Z0-9]+(_{1,2}[A-Z0-9]+)*");

    /**
     * The settings that the environment holds.
     *
     * @param environment the variables, e.g. {@link System#getenv()}
     * @return their {@code dlm.*} keys and values, and the variables of unknown keys
     */
    static EnvironmentSettings from(Map<String, String> environment) {
        Map<String, String> settings = new TreeMap<>();
        List<String> unknown = new ArrayList<>();
        new TreeMap<>(environment).forEach((name, value) -> {
            if (!name.startsWith(PREFIX) || !NAME.matcher(name).matches()) {
                return;
            }
            String key = key(name);
            if (!KnownSettings.KEYS.contains(key)) {
                unknown.add(name);
            }
            settings.put(key, value);
        });
        return new EnvironmentSettings(settings, List.copyOf(unknown));
    }

    /**
     * The key a variable stands for: the known key it names, else its key by this command's rule.
     *
     * @param name a variable name of the form described above
     * @return its {@code dlm.*} key
     */
    static String key(String name) {
        String dotted = name.toLowerCase(Locale.ROOT).replace("__", "-").replace('_', '.');
        if (KnownSettings.KEYS.contains(dotted) || name.contains("__")) {
            return dotted;
        }
        // No two known keys share a MicroProfile name (a test checks), so at most one matches.
        for (String known : KnownSettings.KEYS) {
            if (KnownSettings.environmentName(known).equals(name)) {
                return known;
            }
        }
        return dotted;
    }
}
