package io.dlm.cli;

import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code dlm inspect RESOURCE}: who holds a lock, with what token, for how long yet (I1). */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = {
            "Shows the live holder of RESOURCE, its fencing token and remaining lease.",
            "Exits with 1 when the resource is free."
        })
final class InspectCommand extends AdminCommand {

    @Parameters(index = "0", paramLabel = "RESOURCE", description = "The resource id, at most 1024 chars.")
    @SuppressWarnings("NullAway.Init") // set by picocli
    String resource;

    /** Created by picocli. */
    InspectCommand() {}

    @Override
    void checkArguments() {
        Ids.check("RESOURCE", resource, false);
    }

    @Override
    int run(LockAdmin admin, PrintWriter out) {
        Optional<LockInfo> held = admin.inspect(resource);
        if (held.isEmpty()) {
            out.println(json() ? Json.free(resource) : Text.escape(resource) + " is free");
            return ExitCodes.FREE;
        }
        LockInfo lock = held.get();
        if (json()) {
            out.println(Json.held(lock));
        } else {
            Text.table(List.of(
                            List.of("resource", Text.escape(lock.resourceId())),
                            List.of("holder", Text.escape(lock.clientId())),
                            List.of("token", Long.toString(lock.fencingToken())),
                            List.of("remaining", Text.seconds(lock.remaining()))))
                    .forEach(out::println);
        }
        return ExitCodes.OK;
    }
}
