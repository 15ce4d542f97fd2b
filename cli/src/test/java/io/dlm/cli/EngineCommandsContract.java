package io.dlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands against a real engine: what a subclass names (the backend, and settings that give
 * the test a lock space of its own) is all that differs between engines.
 */
@Timeout(60)
abstract class EngineCommandsContract {

    static final Duration LONG = Duration.ofSeconds(30);

    private final List<AutoCloseable> opened = new ArrayList<>();

    /** The backend's name. */
    abstract String backend();

    /** Settings of the test's own lock space on the engine. */
    abstract Map<String, String> settings();

    /** The settings as {@code --property} options, after {@code --backend}. */
    List<String> options() {
        List<String> options = new ArrayList<>(List.of("--backend", backend()));
        settings().forEach((key, value) -> options.addAll(List.of("--property", key + "=" + value)));
        return options;
    }

    Cli.Result dlm(String... args) {
        List<String> all = new ArrayList<>(options());
        all.addAll(List.of(args));
        return Cli.run(all.toArray(String[]::new));
    }

    LockManager manager() {
        LockManager manager = LockManagers.open(backend(), settings());
        opened.add(manager);
        return manager;
    }

    @AfterEach
    void closeManagers() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
        afterManagersClosed();
    }

    /** Removes the test's lock space, once nothing uses it any more. */
    void afterManagersClosed() throws Exception {}

    @Test
    void listShowsTheLiveLocksWhoseIdsStartWithThePrefix() {
        LockManager manager = manager();
        Lease first =
                manager.tryAcquire("orders/1", "worker-1", Duration.ZERO, LONG).orElseThrow();
        manager.tryAcquire("orders/2", "worker-2", Duration.ZERO, LONG).orElseThrow();
        manager.tryAcquire("orders/3", "worker-1", Duration.ZERO, LONG).orElseThrow();
        manager.tryAcquire("invoices/1", "worker-3", Duration.ZERO, LONG).orElseThrow();

        Cli.Result listed = dlm("list", "--prefix", "orders/");

        assertThat(listed.exitCode()).as(listed.err()).isZero();
        List<String> lines = listed.out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("RESOURCE +HOLDER +TOKEN +REMAINING");
        assertThat(lines.get(1)).startsWith("orders/1").contains("worker-1", Long.toString(first.fencingToken()));
        assertThat(lines.get(2)).startsWith("orders/2").contains("worker-2");
        assertThat(lines.get(3)).startsWith("orders/3");
        assertThat(lines.get(1).indexOf("worker")).isEqualTo(lines.get(0).indexOf("HOLDER"));

        Cli.Result limited = dlm("list", "--limit", "2");
        assertThat(limited.exitCode()).isZero();
        assertThat(limited.out().lines()).hasSize(3);
        assertThat(limited.err()).contains("showing the first 2 locks; there are more");

        Cli.Result json = dlm("--json", "list", "--prefix", "invoices/");
        assertThat(json.out().strip())
                .startsWith("{\"locks\":[{\"resourceId\":\"invoices/1\",\"held\":true,\"clientId\":\"worker-3\"")
                .endsWith("],\"truncated\":false}");

        Cli.Result none = dlm("list", "--prefix", "nothing/");
        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).contains("no live locks whose id starts with 'nothing/'");
    }

    @Test
    void inspectShowsTheHolderAndTokenOrExitsWithOneWhenFree() {
        Lease lease =
                manager().tryAcquire("job", "worker-1", Duration.ZERO, LONG).orElseThrow();

        Cli.Result held = dlm("inspect", "job");

        assertThat(held.exitCode()).as(held.err()).isZero();
        assertThat(held.out().lines())
                .containsExactly(
                        "resource   job",
                        "holder     worker-1",
                        "token      " + lease.fencingToken(),
                        held.out().lines().toList().get(3));
        assertThat(held.out().lines().toList().get(3)).matches("remaining  [0-9]+\\.[0-9]{3}s");

        Cli.Result free = dlm("inspect", "idle");
        assertThat(free.exitCode()).isEqualTo(ExitCodes.FREE);
        assertThat(free.out()).isEqualTo("idle is free\n");
        assertThat(dlm("--json", "inspect", "idle").out()).isEqualTo("{\"resourceId\":\"idle\",\"held\":false}\n");
    }

    @Test
    void watchPrintsOneLinePerChangeOfHolder() throws Exception {
        LockManager other = manager();
        List<String> all = new ArrayList<>(options());
        all.addAll(List.of("watch", "watched", "--count", "2", "--for", "20s", "--interval", "50ms"));
        Cli.Running watching = Cli.start(all.toArray(String[]::new));
        // The holder's sequence starts once the watch has looked, however long opening took.
        watching.awaitLines(1, Duration.ofSeconds(20));

        Lease lease =
                other.tryAcquire("watched", "worker-1", Duration.ZERO, LONG).orElseThrow();
        watching.awaitLines(2, Duration.ofSeconds(10));
        assertThat(lease.renew()).isTrue(); // a renewal is no change
        TimeUnit.MILLISECONDS.sleep(300);
        assertThat(lease.release()).isTrue();

        Cli.Result watched = watching.result(Duration.ofSeconds(10));
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        List<String> lines = watched.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).endsWith("  watched  free");
        assertThat(lines.get(1)).contains("  watched  held by worker-1  token " + lease.fencingToken());
        assertThat(lines.get(2)).endsWith("  watched  free");

        long start = System.nanoTime();
        Cli.Result bounded = dlm("--json", "watch", "watched", "--for", "300ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(bounded.exitCode()).isZero();
        assertThat(bounded.out()).startsWith("{\"at\":\"").endsWith(",\"resourceId\":\"watched\",\"held\":false}\n");
    }

    @Test
    void aForcedReleasePrintsTheOldHolderAndTheNextTokenIsLarger() {
        LockManager holder = manager();
        Lease lease =
                holder.tryAcquire("fenced", "old-holder", Duration.ZERO, LONG).orElseThrow();

        Cli.Result refused = dlm("release", "fenced");
        assertThat(refused.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(refused.err()).contains("add --force").hasLineCount(1);
        assertThat(holder.inspect("fenced").orElseThrow().clientId()).isEqualTo("old-holder");

        Cli.Result broken = dlm("release", "--force", "fenced");

        assertThat(broken.exitCode()).as(broken.err()).isZero();
        assertThat(broken.out())
                .startsWith("released fenced: it was held by old-holder with token " + lease.fencingToken() + " (");
        assertThat(lease.renew()).isFalse();
        assertThat(holder.heartbeat("fenced", "old-holder")).isFalse();
        assertThat(holder.unlock("fenced", "old-holder")).isFalse();
        Lease next = manager()
                .tryAcquire("fenced", "new-holder", Duration.ZERO, LONG)
                .orElseThrow();
        assertThat(next.fencingToken()).isGreaterThan(lease.fencingToken());
        assertThat(lease.release()).isFalse();

        Cli.Result again = dlm("--json", "release", "--force", "fenced");
        assertThat(again.out())
                .isEqualTo("{\"resourceId\":\"fenced\",\"released\":true,\"clientId\":\"new-holder\",\"fencingToken\":"
                        + next.fencingToken() + ",\"remainingMillis\":"
                        + again.out().replaceAll(".*\"remainingMillis\":([0-9]+)}\\s*", "$1") + "}\n");
        Cli.Result free = dlm("release", "--force", "fenced");
        assertThat(free.exitCode()).isEqualTo(ExitCodes.FREE);
        assertThat(free.out()).isEqualTo("fenced was free; nothing was released\n");
    }

    @Test
    void idsStartingWithAnAtSignAreTakenLiterallyNotAsArgumentFiles(@TempDir Path dir) throws Exception {
        LockManager manager = manager();
        Lease nightly =
                manager.tryAcquire("@@nightly", "cron", Duration.ZERO, LONG).orElseThrow();
        Path report = dir.resolve("report");
        Files.writeString(report, "other\n", StandardCharsets.UTF_8);
        String atReport = "@" + report;
        manager.tryAcquire(atReport, "reporter", Duration.ZERO, LONG).orElseThrow();
        manager.tryAcquire("other", "bystander", Duration.ZERO, LONG).orElseThrow();

        Cli.Result inspected = dlm("inspect", atReport);
        assertThat(inspected.exitCode()).as(inspected.err()).isZero();
        assertThat(inspected.out()).contains("holder     reporter");

        Cli.Result broken = dlm("release", "--force", "@@nightly");
        assertThat(broken.exitCode()).as(broken.err()).isZero();
        assertThat(broken.out())
                .startsWith("released @@nightly: it was held by cron with token " + nightly.fencingToken());
        assertThat(manager.inspect("@@nightly")).isEmpty();
        assertThat(manager.inspect("other")).isPresent();
    }

    @Test
    void propertiesGivenBeforeAndAfterTheCommandAllCount() {
        Lease lease =
                manager().tryAcquire("both", "holder", Duration.ZERO, LONG).orElseThrow();
        // The lock space's settings before the command, one more after it: the ones before are
        // what aims the command at the test's lock space, so losing them would say "free".
        List<String> all = new ArrayList<>(options());
        all.addAll(List.of("inspect", "both", "--property", "dlm.operation.timeout=9s"));
        Cli.Result result = Cli.run(all.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("token      " + lease.fencingToken());

        Cli.Result invalidBefore =
                dlm("--property", "dlm.operation.timeout=soon", "inspect", "both", "--property", "dlm.lease.min=1s");
        assertThat(invalidBefore.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(invalidBefore.err()).contains("dlm.operation.timeout").hasLineCount(1);
    }

    @Test
    void badInputIsOneLineWithExitCodeTwoAndChangesNothing() {
        LockManager manager = manager();
        Lease lease = manager.tryAcquire("kept", "holder", Duration.ZERO, LONG).orElseThrow();
        String tooLong = "k".repeat(1025);

        Cli.Result longId = dlm("release", "--force", tooLong);
        assertThat(longId.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(longId.err()).isEqualTo("dlm: error: RESOURCE is 1025 chars long; at most 1024 are allowed\n");
        Cli.Result longPrefix = dlm("list", "--prefix", tooLong);
        assertThat(longPrefix.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(longPrefix.err()).contains("--prefix is 1025 chars long");

        Cli.Result malformed = dlm("--property", "dlm.operation.timeout", "release", "--force", "kept");
        assertThat(malformed.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(malformed.err())
                .isEqualTo("dlm: error: --property 'dlm.operation.timeout' is not of the form dlm.KEY=VALUE\n");
        Cli.Result badValue = dlm("--property", "dlm.operation.timeout=soon", "release", "--force", "kept");
        assertThat(badValue.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badValue.err()).contains("dlm.operation.timeout").hasLineCount(1);
        Cli.Result unknownOption = dlm("release", "--forse", "kept");
        assertThat(unknownOption.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknownOption.err()).contains("--forse").hasLineCount(1);

        assertThat(manager.inspect("kept").orElseThrow().fencingToken()).isEqualTo(lease.fencingToken());
        assertThat(lease.renew()).isTrue();
    }
}
