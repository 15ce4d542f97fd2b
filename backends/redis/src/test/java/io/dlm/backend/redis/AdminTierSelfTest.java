package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.tck.LockAdminTck;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Proves the TCK's operator tier ({@link LockAdminTck}, O4) able to fail: each flaw planted in the
 * admin of the real Redis backend fails at least one of the tier's tests, and the tier passes the
 * unflawed admin (in {@link RedisAdminTest}). Redis, because its backend lists and breaks locks.
 */
class AdminTierSelfTest {

    private static String prefix;

    @BeforeAll
    static void server() {
        TestRedis.assumeAvailable();
        prefix = TestRedis.uniquePrefix("AdminTierSelfTest");
    }

    @AfterAll
    static void cleanUp() {
        if (prefix != null) {
            TestRedis.deleteKeys(prefix);
        }
    }

    /** What a broken backend or admin could get wrong. */
    enum Flaw {
        /** Reads the prefix as a pattern, as SCAN, LIKE or a glob would. */
        PREFIX_AS_PATTERN,
        /** Lists in the engine's order instead of by resource id. */
        UNSORTED,
        /** Returns every match, whatever the limit. */
        IGNORES_LIMIT,
        /** Reports the holder but leaves the lock in place. */
        FORCE_KEEPS_THE_LOCK,
        /** Breaks the lock but says nothing was held. */
        FORCE_HIDES_THE_BROKEN_LEASE
    }

    @ParameterizedTest
    @EnumSource(Flaw.class)
    void eachFlawFailsTheTier(Flaw flaw) {
        FlawedAdminFixture.flaw = flaw;
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create()
                .execute(
                        LauncherDiscoveryRequestBuilder.request()
                                .selectors(selectClass(FlawedAdminFixture.class))
                                .build(),
                        listener);
        TestExecutionSummary summary = listener.getSummary();

        List<String> failed = summary.getFailures().stream()
                .map(failure -> failure.getTestIdentifier().getSource())
                .flatMap(Optional::stream)
                .filter(MethodSource.class::isInstance)
                .map(source -> ((MethodSource) source).getMethodName())
                .toList();
        System.out.printf("[admin tier self-test] %s failed %s%n", flaw, failed);
        assertThat(summary.getTestsFoundCount()).isPositive();
        assertThat(failed)
                .as("tests of the tier failed by %s", flaw)
                .isNotEmpty()
                .allMatch(name -> name.startsWith("O4_"));
    }

    /** The tier against Redis, with the admin wrapped in the flaw under test. */
    static class FlawedAdminFixture extends LockAdminTck {

        static volatile Flaw flaw = Flaw.UNSORTED;

        @Override
        protected String backend() {
            return "redis";
        }

        @Override
        protected Map<String, String> newLockSpace() {
            return TestRedis.withServer(prefix + UUID.randomUUID() + ":", Map.of());
        }

        @Override
        protected LockAdmin openAdmin(Map<String, String> settings) {
            return new FlawedAdmin(super.openAdmin(settings), flaw);
        }
    }

    /** A real admin with one flaw. */
    private record FlawedAdmin(LockAdmin real, Flaw flaw) implements LockAdmin {

        @Override
        public String backend() {
            return real.backend();
        }

        @Override
        public Optional<LockInfo> inspect(String resourceId) {
            return real.inspect(resourceId);
        }

        @Override
        public boolean canList() {
            return real.canList();
        }

        @Override
        public List<LockInfo> list(String prefix, int limit) {
            switch (flaw) {
                case PREFIX_AS_PATTERN -> {
                    Pattern pattern = Pattern.compile(
                            prefix.replace("%", ".*")
                                            .replace("_", ".")
                                            .replace("*", ".*")
                                            .replace("?", ".")
                                    + ".*",
                            Pattern.DOTALL);
                    return real.list("", Integer.MAX_VALUE).stream()
                            .filter(info -> pattern.matcher(info.resourceId()).matches())
                            .limit(limit)
                            .toList();
                }
                case UNSORTED -> {
                    List<LockInfo> reversed = new ArrayList<>(real.list(prefix, limit));
                    Collections.reverse(reversed);
                    return reversed;
                }
                case IGNORES_LIMIT -> {
                    return real.list(prefix, Integer.MAX_VALUE);
                }
                default -> {
                    return real.list(prefix, limit);
                }
            }
        }

        @Override
        public boolean canForceRelease() {
            return real.canForceRelease();
        }

        @Override
        public Optional<LockInfo> forceRelease(String resourceId) {
            return switch (flaw) {
                case FORCE_KEEPS_THE_LOCK -> real.inspect(resourceId);
                case FORCE_HIDES_THE_BROKEN_LEASE -> {
                    real.forceRelease(resourceId);
                    yield Optional.empty();
                }
                default -> real.forceRelease(resourceId);
            };
        }

        @Override
        public void close() {
            real.close();
        }
    }
}
