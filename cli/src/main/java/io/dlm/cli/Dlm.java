package io.dlm.cli;

import io.dlm.LockAdmin;
import io.dlm.LockManagers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code dlm} command: its global options, and the entry point of the executable jar. */
@Command(
        name = "dlm",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Inspects, lists, watches and force-releases the locks of a DLM backend, and runs the TCK against"
                + " one.",
        subcommands = {
            InspectCommand.class,
            ListCommand.class,
            WatchCommand.class,
            ReleaseCommand.class,
            TckCommand.class,
            CommandLine.HelpCommand.class
        },
        footerHeading = "%n",
        footer = {
            "Settings are the dlm.* keys of DLM (dlm.redis.uri, dlm.jdbc.url,",
            "dlm.operation.timeout, ...). --property wins over --config, which wins over",
            "DLM_* environment variables, named as MicroProfile Config reads them",
            "(DLM_REDIS_URI is dlm.redis.uri, DLM_REDIS_KEY_PREFIX is dlm.redis.key-prefix)",
            "or with '__' for '-' (DLM_REDIS_KEY__PREFIX). release --force refuses a DLM_*",
            "variable that names no setting dlm knows.",
            "",
            "Exit codes:"
        })
public final class Dlm implements Runnable {

    @Option(
            names = {"-b", "--backend"},
            paramLabel = "NAME",
            scope = ScopeType.INHERIT,
            description = "The backend: redis, jdbc, etcd, zookeeper (bundled), or another on the class path; default:"
                    + " dlm.backend.")
    @Nullable
    String backend;

    /** The {@code --property} values, in the order given, before and after the command. */
    final List<String> properties = new ArrayList<>();

    /** What {@link #properties} held when picocli began parsing the current (sub)command. */
    private List<String> givenBefore = List.of();

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            scope = ScopeType.INHERIT,
            description = "A properties file of dlm.* settings; other keys in it are ignored.")
    @Nullable
    Path config;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON, one object per line.")
    boolean json;

    @Option(
            names = {"-v", "--verbose"},
            scope = ScopeType.INHERIT,
            description = "On errors, print the stack trace too; log at INFO.")
    boolean verbose;

    @Spec
    @Nullable
    CommandSpec spec;

    /**
     * Receives {@code --property}. picocli calls this with the values given so far to the command
     * being parsed, and with an empty list when it starts parsing a command, the subcommand
     * included: a plain inherited list field would so lose the values given before the
     * subcommand's name. Keeping what earlier commands gave makes the values accumulate, wherever
     * they are given.
     *
     * @param values this command's values so far, or empty as it starts
     */
    @Option(
            names = {"-p", "--property"},
            paramLabel = "KEY=VALUE",
            scope = ScopeType.INHERIT,
            description = "A dlm.* setting; repeatable, before or after the command. Wins over --config and DLM_*"
                    + " variables.")
    void property(List<String> values) {
        if (values.isEmpty()) {
            givenBefore = List.copyOf(properties);
            return;
        }
        properties.clear();
        properties.addAll(givenBefore);
        properties.addAll(values);
    }

    private final Map<String, String> environment;
    private @Nullable String openedBackend;

    /**
     * Creates the command with the environment it reads {@code DLM_*} settings from.
     *
     * @param environment the environment variables
     */
    Dlm(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /**
     * Runs {@code dlm} and exits with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        boolean verbose = List.of(args).contains("--verbose") || List.of(args).contains("-v");
        configureLogging(verbose);
        System.exit(commandLine(System.getenv()).execute(args));
    }

    /**
     * The command line of {@code dlm}, ready to execute, with its error handling and exit codes.
     *
     * @param environment the environment variables to read {@code DLM_*} settings from
     * @return the command line; set its out and err writers to capture the output
     */
    static CommandLine commandLine(Map<String, String> environment) {
        Dlm dlm = new Dlm(environment);
        CommandLine line = new CommandLine(dlm);
        // An id may start with '@' ("@nightly"): picocli would read it as the name of a file of
        // arguments, or turn "@@x" into "@x", so that release --force would break another lock.
        line.setExpandAtFiles(false);
        line.getCommandSpec().usageMessage().footer(footer(line));
        Failures failures = new Failures(dlm);
        line.setExecutionExceptionHandler(failures);
        line.setParameterExceptionHandler(failures);
        line.setExitCodeExceptionMapper(failures);
        return line;
    }

    private static String[] footer(CommandLine line) {
        List<String> footer =
                new ArrayList<>(List.of(line.getCommandSpec().usageMessage().footer()));
        for (String code : ExitCodes.HELP) {
            footer.add("  " + code);
        }
        return footer.toArray(String[]::new);
    }

    /** Without a command, {@code dlm} shows its help and fails as a usage error would. */
    @Override
    public void run() {
        CommandLine line = spec == null ? new CommandLine(this) : spec.commandLine();
        throw new CommandLine.ParameterException(line, "missing command: inspect, list, watch, release or tck");
    }

    /**
     * Opens the backend's admin with this run's settings.
     *
     * @param destructive whether the command changes locks: then a {@code DLM_*} variable that names
     *     no known setting is refused, for a misspelt one (say, of the key prefix) would silently
     *     aim the command at another lock space
     * @return the open admin; close it when done
     * @throws BadInputException when the settings are malformed or name no backend, or the backend
     *     is {@code memory}
     */
    LockAdmin openAdmin(boolean destructive) {
        Settings settings = Settings.resolve(environment, config, properties);
        String name = settings.backend(backend);
        if (name.equals("memory")) {
            // Its locks live in one process's memory: a new one here is empty and unrelated to any
            // application's, so every answer would be "free" and no release would ever act.
            throw new BadInputException("backend 'memory' keeps its locks inside the process that uses them;"
                    + " dlm cannot see them (use redis, jdbc, etcd, zookeeper or another shared backend)");
        }
        checkVariables(settings, destructive);
        openedBackend = name;
        return LockManagers.admin(name, settings.values());
    }

    /**
     * The backend and settings of this run, for commands that open managers rather than an admin
     * ({@code tck}). Unknown {@code DLM_*} variables are warned about.
     *
     * @return the backend's name and its {@code dlm.*} settings
     * @throws BadInputException when the settings are malformed or name no backend
     */
    Target target() {
        Settings settings = Settings.resolve(environment, config, properties);
        String name = settings.backend(backend);
        checkVariables(settings, false);
        openedBackend = name;
        return new Target(name, settings.values());
    }

    /**
     * A backend to open and the settings to open it with.
     *
     * @param backend the provider name
     * @param settings the {@code dlm.*} settings
     */
    record Target(String backend, Map<String, String> settings) {}

    private void checkVariables(Settings settings, boolean destructive) {
        for (String variable : settings.unknownVariables()) {
            String what = variable + " names no setting dlm knows (read as " + EnvironmentSettings.key(variable) + ")";
            if (destructive) {
                throw new BadInputException(
                        what + "; fix or unset it, or give the setting with --property" + " (nothing was changed)");
            }
            warn(what);
        }
    }

    private void warn(String text) {
        if (spec != null) {
            spec.commandLine().getErr().println("dlm: warning: " + text);
            spec.commandLine().getErr().flush();
        }
    }

    /**
     * The backend last opened, for messages about its engine.
     *
     * @return its name, or null before any was opened
     */
    @Nullable
    String openedBackend() {
        return openedBackend;
    }

    /**
     * Whether to print stack traces.
     *
     * @return {@code --verbose}
     */
    boolean verbose() {
        return verbose;
    }

    /** Log records (a runtime warning about an unknown key, a driver's) as one line each on stderr. */
    private static void configureLogging(boolean verbose) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "dlm: %4$s: %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (var handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new SimpleFormatter());
        Level level = verbose ? Level.INFO : Level.WARNING;
        console.setLevel(level);
        root.setLevel(level);
        root.addHandler(console);
    }
}
