package io.dlm.cli;

import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dlm list}: the live locks of the backend's lock space, for backends that can enumerate them. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description = {
            "Lists live locks, sorted by resource id: holder, fencing token, remaining lease.",
            "Only backends that can enumerate their lock space support it (all bundled ones)."
        })
final class ListCommand extends AdminCommand {

    @Option(
            names = "--prefix",
            paramLabel = "P",
            description = "Only resource ids that start with P (compared exactly; no wildcards).")
    String prefix = "";

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "List at most N locks (default: ${DEFAULT-VALUE}); says so when there are more.")
    int limit = 100;

    /** Created by picocli. */
    ListCommand() {}

    @Override
    void checkArguments() {
        Ids.check("--prefix", prefix, true);
        if (limit <= 0 || limit == Integer.MAX_VALUE) {
            throw new BadInputException(
                    "--limit must be a positive number below " + Integer.MAX_VALUE + ", was " + limit);
        }
    }

    @Override
    int run(LockAdmin admin, PrintWriter out) {
        // One more than shown tells whether there are more.
        List<LockInfo> found = admin.list(prefix, limit + 1);
        boolean truncated = found.size() > limit;
        List<LockInfo> shown = truncated ? found.subList(0, limit) : found;
        if (json()) {
            out.println(Json.list(shown, truncated));
            return ExitCodes.OK;
        }
        if (shown.isEmpty()) {
            note("no live locks" + (prefix.isEmpty() ? "" : " whose id starts with '" + Text.escape(prefix) + "'"));
            return ExitCodes.OK;
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("RESOURCE", "HOLDER", "TOKEN", "REMAINING"));
        for (LockInfo lock : shown) {
            rows.add(List.of(
                    Text.escape(lock.resourceId()),
                    Text.escape(lock.clientId()),
                    Long.toString(lock.fencingToken()),
                    Text.seconds(lock.remaining())));
        }
        Text.table(rows).forEach(out::println);
        if (truncated) {
            note("showing the first " + limit + " locks; there are more (raise --limit or narrow --prefix)");
        }
        return ExitCodes.OK;
    }
}
