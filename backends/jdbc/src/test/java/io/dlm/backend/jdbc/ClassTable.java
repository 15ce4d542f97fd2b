package io.dlm.backend.jdbc;

import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A lock table that one test class has to itself on one database: made with the shipped DDL
 * before the class's first test and dropped after its last. A class whose database is down skips
 * outside CI and fails in CI ({@link TestDatabase#assumeAvailable}). Register it on a static field,
 * {@code @RegisterExtension static final ClassTable TABLE = new ClassTable(TestDatabase.H2,
 * "faults");}, so that JUnit calls it around the whole class; or, in an abstract base whose
 * database the subclass names, on an instance field set in the constructor, which JUnit calls
 * around the whole class only when the class has {@code @TestInstance(PER_CLASS)}. The class's
 * {@code @Nested} classes share its table.
 */
final class ClassTable implements BeforeAllCallback, AfterAllCallback {

    private final TestDatabase database;
    private final String purpose;
    private String name = "";
    // The unique id of the class whose start made the table, which alone drops it.
    private String owner = "";

    /**
     * @param database where the table goes
     * @param purpose a word for the table's name, which also gets a random part
     */
    ClassTable(TestDatabase database, String purpose) {
        this.database = database;
        this.purpose = purpose;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        // JUnit calls a class's extensions again around each of its @Nested classes, whose tests
        // run on the enclosing instance and so on its table too: make the table once.
        if (!name.isEmpty()) {
            return;
        }
        database.assumeAvailable();
        name = database.createTable(purpose);
        owner = context.getUniqueId();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (!name.isEmpty() && context.getUniqueId().equals(owner)) {
            database.dropTable(name);
            name = "";
            owner = "";
        }
    }

    /** The table's name, once the class has started. */
    String name() {
        return name;
    }

    /** The settings that point a manager at the table, as {@link TestDatabase#settings} gives them. */
    Map<String, String> settings() {
        return database.settings(name);
    }
}
