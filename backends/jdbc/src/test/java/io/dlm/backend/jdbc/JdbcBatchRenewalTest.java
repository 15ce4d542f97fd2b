package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Renewal;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * K1, N7, H1, H2, K4 for the batch renewal: one call renews exactly the live leases of the named
 * client and acquisition and refuses the rest (expired, another client's, another acquisition's,
 * free), reviving nothing, on every database, and also when the driver's bulk protocol does not
 * report update counts.
 */
class JdbcBatchRenewalTest {

    private static final AtomicLong ATTEMPTS = new AtomicLong();

    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    private BatchRenewingLockBackend backend(TestDatabase database, String urlSuffix) {
        database.assumeAvailable();
        String table = database.createTable("batch");
        cleanup.add(() -> database.dropTable(table));
        Map<String, String> settings = database.settings(table);
        settings.put("dlm.jdbc.url", database.url() + urlSuffix);
        LockBackend backend = new JdbcLockBackendProvider().open(BackendContext.of(settings));
        cleanup.add(backend::close);
        assertThat(backend).isInstanceOf(BatchRenewingLockBackend.class);
        return (BatchRenewingLockBackend) backend;
    }

    private static long acquire(LockBackend backend, String resource, String client, Duration lease) {
        Acquisition acquisition = backend.acquire(resource, client, lease.toNanos(), ATTEMPTS.incrementAndGet());
        assertThat(acquisition.isAcquired()).as("acquired %s", resource).isTrue();
        return acquisition.fencingToken();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void renewsExactlyTheLiveLeasesOfTheClientAndTokenAndRevivesNothing(TestDatabase database) throws Exception {
        check(backend(database, ""));
    }

    /** MariaDB's bulk protocol answers SUCCESS_NO_INFO; the items are then renewed one by one. */
    @Test
    void mariaDbWithBulkStatementsStillAnswersEachItem() throws Exception {
        check(backend(TestDatabase.MARIADB, "?useBulkStmts=true"));
    }

    private static void check(BatchRenewingLockBackend backend) throws Exception {
        Duration lease = TckTimings.scaledMillis(3_000);
        Duration shortLease = TckTimings.scaledMillis(100);
        long live1 = acquire(backend, "live-1", "c", lease);
        long live2 = acquire(backend, "live-2", "c", lease);
        long wrongToken = acquire(backend, "wrong-token", "c", lease);
        acquire(backend, "foreign", "other", lease);
        long expired = acquire(backend, "expired", "c", shortLease);
        TimeUnit.NANOSECONDS.sleep(TckTimings.scaledMillis(1_000).toNanos());

        List<Renewal> renewals = List.of(
                new Renewal("live-1", "c", live1),
                new Renewal("wrong-token", "c", wrongToken + 1_000),
                new Renewal("foreign", "c", 1),
                new Renewal("expired", "c", expired),
                new Renewal("never-held", "c", 7),
                new Renewal("live-2", "c", live2));
        boolean[] renewed = backend.renewAll(renewals);

        assertThat(renewed).containsExactly(true, false, false, false, false, true);
        Duration almostWhole = lease.minus(TckTimings.scaledMillis(500));
        Duration atMostWhatWasLeft = lease.minus(TckTimings.scaledMillis(900));
        for (String live : List.of("live-1", "live-2")) {
            assertThat(backend.inspect(live).map(LockInfo::remaining).orElseThrow())
                    .as("%s renewed to a whole lease (H1)", live)
                    .isGreaterThan(almostWhole);
        }
        for (String untouched : List.of("wrong-token", "foreign")) {
            assertThat(backend.inspect(untouched).map(LockInfo::remaining).orElseThrow())
                    .as("%s left as it was (K4)", untouched)
                    .isLessThanOrEqualTo(atMostWhatWasLeft);
        }
        assertThat(backend.inspect("expired"))
                .as("the expired lease is not revived (H2)")
                .isEmpty();
        assertThat(backend.inspect("never-held")).isEmpty();
        assertThat(backend.inspect("foreign").orElseThrow().clientId()).isEqualTo("other");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aBatchOfManyLeasesRenewsThemAll(TestDatabase database) {
        BatchRenewingLockBackend backend = backend(database, "");
        Duration lease = TckTimings.scaledMillis(5_000);
        List<Renewal> renewals = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            String resource = "many-" + i;
            renewals.add(new Renewal(resource, "c", acquire(backend, resource, "c", lease)));
        }
        boolean[] renewed = backend.renewAll(renewals);
        for (int i = 0; i < renewed.length; i++) {
            assertThat(renewed[i]).as("item %s", i).isTrue();
        }
    }
}
