package io.dlm.cli;

import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code dlm release --force RESOURCE}: breaks a lock whoever holds it, and says whose it was. */
@Command(
        name = "release",
        mixinStandardHelpOptions = true,
        description = {
            "Breaks the lock on RESOURCE whoever holds it, and prints the holder and token it had.",
            "Waiters are woken; the holder's unlock and heartbeat then fail, and the next",
            "acquisition gets a larger fencing token, so a store that checks tokens refuses the",
            "old holder's writes. The old holder keeps running until it notices: without fencing,",
            "two clients may act at once. Hence --force. Exits with 1 when the resource was free."
        })
final class ReleaseCommand extends AdminCommand {

    @Option(names = "--force", description = "Required: break the lock even though another client holds it.")
    boolean force;

    @Parameters(index = "0", paramLabel = "RESOURCE", description = "The resource id, at most 1024 chars.")
    @SuppressWarnings("NullAway.Init") // set by picocli
    String resource;

    /** Created by picocli. */
    ReleaseCommand() {}

    @Override
    void checkArguments() {
        Ids.check("RESOURCE", resource, false);
        if (!force) {
            throw new BadInputException("release breaks another client's lock, which is safe only where its writes"
                    + " are fenced by token; add --force to do it (nothing was changed)");
        }
    }

    @Override
    boolean destructive() {
        return true;
    }

    @Override
    int run(LockAdmin admin, PrintWriter out) {
        Optional<LockInfo> broken = admin.forceRelease(resource);
        if (broken.isEmpty()) {
            out.println(json() ? Json.free(resource) : Text.escape(resource) + " was free; nothing was released");
            return ExitCodes.FREE;
        }
        LockInfo lock = broken.get();
        if (json()) {
            out.println(Json.released(lock));
        } else {
            out.println(
                    "released " + Text.escape(lock.resourceId()) + ": it was held by " + Text.escape(lock.clientId())
                            + " with token " + lock.fencingToken() + " (" + Text.seconds(lock.remaining()) + " left)");
        }
        return ExitCodes.OK;
    }
}
