package io.dlm.backend.jdbc;

import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The lock table's name ({@code dlm.jdbc.table}) and the names derived from it. The name goes into
 * SQL text (statements cannot bind identifiers), so it is checked to be a plain identifier,
 * optionally qualified by a schema, and short enough for the derived names to fit every
 * database's 63-character limit.
 *
 * @param name the table name as configured, e.g. {@code dlm_locks} or {@code ops.dlm_locks}
 */
record TableName(String name) {

    /** The key of the setting. */
    static final String KEY = "dlm.jdbc.table";

    /** The table name when none is configured. */
    static final String DEFAULT = "dlm_locks";

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    /** Leaves room for the longest suffix ({@code _expires}) within 63 characters. */
    private static final int MAX_LENGTH = 55;

    /**
     * Checks a configured name.
     *
     * @param name the value of {@value #KEY}
     * @return the table name
     * @throws IllegalArgumentException naming the key when the value is no plain identifier
     */
    static TableName parse(String name) {
        String trimmed = name.trim();
        if (!IDENTIFIER.matcher(trimmed).matches() || trimmed.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("Invalid value '" + name + "' for " + KEY
                    + ": expected a table name of letters, digits and underscores, optionally qualified"
                    + " by a schema (schema.table), at most " + MAX_LENGTH + " characters");
        }
        return new TableName(trimmed);
    }

    /**
     * The sequence that issues fencing tokens: {@code <table>_seq}, in the table's schema.
     *
     * @return the qualified sequence name
     */
    String sequence() {
        return name + "_seq";
    }

    /**
     * The index on {@code reap_from} that the reaper scans, unqualified (PostgreSQL puts an index
     * in its table's schema and refuses a qualified name).
     *
     * @return the index name
     */
    String reapIndex() {
        return unqualified() + "_reap";
    }

    /**
     * The index on {@code expires_at} that tables made before {@code reap_from} have, unqualified.
     * Nothing reads it any more, but every acquisition and release still writes it until it is
     * dropped, which the backend tells at open.
     *
     * @return the index name
     */
    String expiryIndex() {
        return unqualified() + "_expires";
    }

    /**
     * The table name without its schema.
     *
     * @return e.g. {@code dlm_locks} for {@code ops.dlm_locks}
     */
    String unqualified() {
        return name.substring(name.indexOf('.') + 1);
    }

    /**
     * The schema part of the table name.
     *
     * @return e.g. {@code ops} for {@code ops.dlm_locks}, or null when the name has none
     */
    @Nullable
    String schema() {
        int dot = name.indexOf('.');
        return dot < 0 ? null : name.substring(0, dot);
    }

    /**
     * The name of an object in the table's schema, as a statement that places it there by its name
     * spells it.
     *
     * @param object an unqualified name, e.g. {@link #reapIndex()}
     * @return {@code schema.object}, or the name alone when the table name has no schema
     */
    String inSchema(String object) {
        String schema = schema();
        return (schema == null ? "" : schema + ".") + object;
    }

    /**
     * Writes the table's and its sequence's names into a statement template.
     *
     * @param template SQL with {@code {table}} and {@code {sequence}} where the names go
     * @return the statement
     */
    String sql(String template) {
        return template.replace("{table}", name).replace("{sequence}", sequence());
    }

    /**
     * The PostgreSQL {@code NOTIFY} channel of releases: the table name itself, so that managers
     * of other tables are not woken.
     *
     * @return the channel name
     */
    String channel() {
        return name;
    }
}
