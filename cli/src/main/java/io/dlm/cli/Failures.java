package io.dlm.cli;

import io.dlm.LockException;
import java.io.PrintWriter;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns every failure into one line on stderr and its exit code ({@link ExitCodes}): bad input
 * names the option, argument or setting; an engine failure names the setting that says where the
 * engine is. The stack trace only with {@code --verbose}.
 */
final class Failures implements IExecutionExceptionHandler, IParameterExceptionHandler, IExitCodeExceptionMapper {

    /** The setting that tells each project backend where its engine is. */
    private static final Map<String, String> ENGINE_KEYS = Map.of(
            "redis", "dlm.redis.uri",
            "jdbc", "dlm.jdbc.url",
            "etcd", "dlm.etcd.endpoints",
            "zookeeper", "dlm.zookeeper.connect");

    private final Dlm dlm;

    /**
     * Creates the handler of one run.
     *
     * @param dlm the command, for the backend it opened and {@code --verbose}
     */
    Failures(Dlm dlm) {
        this.dlm = dlm;
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine line = e.getCommandLine();
        PrintWriter err = line.getErr();
        err.println("dlm: error: " + oneLine(e.getMessage()) + " (see '"
                + line.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception e, CommandLine line, ParseResult parsed) {
        PrintWriter err = line.getErr();
        err.println("dlm: error: " + message(e));
        if (dlm.verbose()) {
            e.printStackTrace(err);
        }
        err.flush();
        return getExitCode(e);
    }

    @Override
    public int getExitCode(Throwable failure) {
        if (failure instanceof BadInputException || failure instanceof IllegalArgumentException) {
            return ExitCodes.USAGE;
        }
        if (failure instanceof LockException) {
            return ExitCodes.ENGINE;
        }
        if (failure instanceof UnsupportedOperationException) {
            return ExitCodes.UNSUPPORTED;
        }
        return ExitCodes.BUG;
    }

    private String message(Exception e) {
        String text = oneLine(e.getMessage() == null ? e.toString() : e.getMessage());
        if (e instanceof LockException) {
            String backend = dlm.openedBackend();
            String key = backend == null ? null : ENGINE_KEYS.get(backend);
            String check = key == null ? "the dlm." + backend + ".* settings" : key;
            return "the " + backend + " engine failed or cannot be reached (check " + check
                    + " and dlm.operation.timeout): " + text;
        }
        if (getExitCode(e) == ExitCodes.BUG) {
            return "unexpected " + e.getClass().getSimpleName() + ": " + text
                    + (dlm.verbose() ? "" : " (rerun with --verbose for the stack trace)");
        }
        return text;
    }

    /** Drivers put line breaks in their messages; the output promises one line per error. */
    private static String oneLine(@Nullable String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
