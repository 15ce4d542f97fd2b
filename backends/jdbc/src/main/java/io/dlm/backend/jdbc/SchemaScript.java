package io.dlm.backend.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The DDL of one database's lock table. Most of it is the resource {@code schema-<dialect>.sql}
 * beside this package that the docs publish: the table, its sequence and its reaper's index (E4),
 * each made if missing, and {@code reap_from} added to a table made before it; read when asked for,
 * not before. Besides, the statement that drops the index on {@code expires_at} of tables made
 * before {@code reap_from}, for the operator to run.
 *
 * @param resource the resource's name, e.g. {@code schema-postgresql.sql}
 * @param names what the script's placeholders stand for: {@code table}, {@code sequence} and
 *     {@code index}
 * @param dropLegacyIndex drops the old index on {@code expires_at}
 */
record SchemaScript(String resource, Map<String, String> names, String dropLegacyIndex) {

    /**
     * The DDL of a database, with the names of a table.
     *
     * @param kind the database
     * @param table the lock table
     * @return the DDL
     */
    static SchemaScript of(Dialect.Kind kind, TableName table) {
        // H2 places an index in the schema its name gives, which must be the table's; PostgreSQL
        // puts it in its table's schema and refuses a qualified name; MariaDB's belongs to the table.
        String index = kind == Dialect.Kind.H2 ? table.inSchema(table.reapIndex()) : table.reapIndex();
        String dropLegacyIndex = kind == Dialect.Kind.MARIADB
                ? "ALTER TABLE " + table.name() + " DROP INDEX " + table.expiryIndex()
                : "DROP INDEX " + table.inSchema(table.expiryIndex());
        return new SchemaScript(
                "schema-" + kind.id() + ".sql",
                Map.of("table", table.name(), "sequence", table.sequence(), "index", index),
                dropLegacyIndex);
    }

    /**
     * The statements of the script, with the names written in.
     *
     * @return the statements, in order
     */
    List<String> statements() {
        String script;
        try (InputStream in = Dialect.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing resource " + resource + " beside " + Dialect.class);
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Map.Entry<String, String> name : names.entrySet()) {
            script = script.replace("${" + name.getKey() + "}", name.getValue());
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1));
                current.setLength(0);
            }
        }
        return statements;
    }

    /**
     * The statements of the script that bring a table made before {@code reap_from} up to date: the
     * column and its index. They do nothing to a table that has them.
     *
     * @return the statements, in order
     */
    List<String> upgrade() {
        return statements().stream()
                .filter(ddl -> ddl.startsWith("ALTER TABLE") || ddl.startsWith("CREATE INDEX"))
                .map(ddl -> ddl.replaceAll("\\s+", " "))
                .toList();
    }
}
