package io.dlm.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The {@code dlm.*} settings of one run, from three sources: {@code --property key=value} wins
 * over {@code --config FILE}, which wins over {@code DLM_*} environment variables
 * ({@link EnvironmentSettings}). The same keys as everywhere else (E1a); keys of other tools in the
 * file are ignored, so an application's own properties file can serve.
 *
 * @param values the merged settings
 * @param unknownVariables the {@code DLM_*} variables whose key {@code dlm} does not know
 */
record Settings(Map<String, String> values, List<String> unknownVariables) {

    /** The key that names the backend when {@code --backend} is not given. */
    static final String BACKEND = "dlm.backend";

    private static final String DLM = "dlm.";

    /**
     * Merges the sources.
     *
     * @param environment the process's environment variables
     * @param config the {@code --config} file, or null
     * @param properties the {@code --property} values, each {@code key=value}
     * @return the settings
     * @throws BadInputException naming the option when a value is malformed or the file unreadable
     */
    static Settings resolve(Map<String, String> environment, @Nullable Path config, List<String> properties) {
        EnvironmentSettings fromEnvironment = EnvironmentSettings.from(environment);
        Map<String, String> merged = new TreeMap<>(fromEnvironment.settings());
        if (config != null) {
            merged.putAll(read(config));
        }
        for (String property : properties) {
            int equals = property.indexOf('=');
            if (equals <= 0) {
                throw new BadInputException("--property '" + shown(property) + "' is not of the form dlm.KEY=VALUE");
            }
            String key = property.substring(0, equals).strip();
            if (!key.startsWith(DLM) || key.length() == DLM.length()) {
                throw new BadInputException("--property '" + shown(property)
                        + "': the key must start with 'dlm.' (e.g. dlm.redis.uri=...)");
            }
            merged.put(key, property.substring(equals + 1));
        }
        return new Settings(Collections.unmodifiableMap(merged), fromEnvironment.unknown());
    }

    /**
     * A {@code --property} value as an error message may show it: the value of a key that names a
     * password or secret is masked, for messages end up in terminals, CI logs and tickets.
     *
     * @param property the value as given
     * @return it, or its key with the value masked
     */
    static String shown(String property) {
        String lower = property.toLowerCase(Locale.ROOT);
        if (!lower.contains("password") && !lower.contains("secret")) {
            return property;
        }
        int equals = property.indexOf('=');
        return equals < 0 ? "(a password or secret, not shown)" : property.substring(0, equals) + "=****";
    }

    /**
     * The backend to open: {@code --backend}, else {@value #BACKEND}.
     *
     * @param option the {@code --backend} value, or null
     * @return the backend name
     * @throws BadInputException when neither is given
     */
    String backend(@Nullable String option) {
        String backend = option != null ? option : values.get(BACKEND);
        if (backend == null || backend.isBlank()) {
            throw new BadInputException("no backend: give --backend NAME, or set dlm.backend (e.g. DLM_BACKEND=redis)");
        }
        return backend.strip();
    }

    private static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            throw new BadInputException("--config " + file + ": no such file");
        } catch (IOException | IllegalArgumentException e) {
            throw new BadInputException(
                    "--config " + file + ": cannot read it as a properties file: " + e.getMessage());
        }
        Map<String, String> settings = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(DLM)) {
                settings.put(key, properties.getProperty(key));
            }
        }
        return settings;
    }
}
