package io.dlm.cli;

import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.spi.Durations;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dlm watch RESOURCE}: one line per change of holder, until interrupted, {@code --count}
 * changes or {@code --for} a while. It polls {@link LockAdmin#inspect}: the public API offers no
 * notification that also covers expiry, and an operator's view can afford a poll every few hundred
 * milliseconds. A renewal is no change; a new acquisition by the same client is (a new token).
 */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "Prints the holder of RESOURCE, then one line each time the holder changes.",
            "A change is a take, release, expiry, forced release, or a new token; it runs",
            "until Ctrl-C, --count changes or --for a while.",
            "It polls the engine every --interval; a holder that comes and goes between two polls",
            "is not seen."
        })
final class WatchCommand extends AdminCommand {

    @Parameters(index = "0", paramLabel = "RESOURCE", description = "The resource id, at most 1024 chars.")
    @SuppressWarnings("NullAway.Init") // set by picocli
    String resource;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N changes.")
    @Nullable
    Integer count;

    @Option(
            names = "--for",
            paramLabel = "DURATION",
            description = "Stop after this long: 30s, 5m, 500ms, PT1M; a bare number is milliseconds.")
    @Nullable
    String lasting;

    @Option(
            names = "--interval",
            paramLabel = "DURATION",
            description = "How often to look (default: ${DEFAULT-VALUE}).")
    String interval = "200ms";

    private Duration pollEvery = Duration.ofMillis(200);
    private @Nullable Duration stopAfter;

    /** Created by picocli. */
    WatchCommand() {}

    @Override
    void checkArguments() {
        Ids.check("RESOURCE", resource, false);
        if (count != null && count <= 0) {
            throw new BadInputException("--count must be positive, was " + count);
        }
        pollEvery = duration("--interval", interval);
        stopAfter = lasting == null ? null : duration("--for", lasting);
    }

    private static Duration duration(String option, String value) {
        try {
            return Durations.parsePositive(option, value);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    @Override
    int run(LockAdmin admin, PrintWriter out) throws InterruptedException {
        long start = System.nanoTime();
        Optional<LockInfo> last = admin.inspect(resource);
        print(out, last);
        int changes = 0;
        while (count == null || changes < count) {
            long waited = System.nanoTime() - start;
            long sleep = pollEvery.toNanos();
            if (stopAfter != null) {
                long left = stopAfter.toNanos() - waited;
                if (left <= 0) {
                    break;
                }
                sleep = Math.min(sleep, left);
            }
            TimeUnit.NANOSECONDS.sleep(sleep);
            Optional<LockInfo> now = admin.inspect(resource);
            if (!sameHolder(last, now)) {
                print(out, now);
                changes++;
            }
            last = now;
        }
        return ExitCodes.OK;
    }

    private static boolean sameHolder(Optional<LockInfo> before, Optional<LockInfo> after) {
        if (before.isEmpty() || after.isEmpty()) {
            return before.isEmpty() == after.isEmpty();
        }
        return before.get().clientId().equals(after.get().clientId())
                && before.get().fencingToken() == after.get().fencingToken();
    }

    private void print(PrintWriter out, Optional<LockInfo> state) {
        Instant at = Instant.now();
        if (json()) {
            out.println(Json.at(at, state.map(Json::held).orElseGet(() -> Json.free(resource))));
        } else if (state.isEmpty()) {
            out.println(at + "  " + Text.escape(resource) + "  free");
        } else {
            LockInfo lock = state.get();
            out.println(at + "  " + Text.escape(resource) + "  held by " + Text.escape(lock.clientId()) + "  token "
                    + lock.fencingToken() + "  remaining " + Text.seconds(lock.remaining()));
        }
        out.flush();
    }
}
