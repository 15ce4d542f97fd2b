package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * S3: leader election on top of the lease lifecycle. One campaigner leads at a time (M1), a lost
 * lease revokes the lead and the campaign goes on, closing resigns, tokens grow across leaders
 * (F1), and a campaign's listener calls never overlap and come in order.
 */
abstract class LeadershipRules extends RuleGroup {

    private final List<Leadership> campaigns = new ArrayList<>();

    LeadershipRules(LockManagerTck tck) {
        super(tck);
    }

    /** Before the managers close (the superclass's @AfterEach runs after this one). */
    @AfterEach
    final void resignEverything() {
        campaigns.forEach(Leadership::close);
        campaigns.clear();
    }

    private Leadership campaign(
            LockManager manager, String resource, String client, Duration lease, LeadershipListener listener) {
        Leadership leadership = manager.lead(resource, client, lease, listener);
        campaigns.add(leadership);
        return leadership;
    }

    /** One manager per campaigner where managers share locks, else one for all. */
    private List<LockManager> managers(int count) {
        if (!sharedLockSpace()) {
            LockManager one = manager();
            return IntStream.range(0, count).mapToObj(i -> one).toList();
        }
        return IntStream.range(0, count).mapToObj(i -> open(Map.of())).toList();
    }

    private static int leaderAmong(List<Leadership> leaderships) {
        List<Integer> leaders = IntStream.range(0, leaderships.size())
                .filter(i -> leaderships.get(i).isLeader())
                .boxed()
                .toList();
        assertThat(leaders).as("the campaigners that lead (S3, M1)").hasSizeLessThanOrEqualTo(1);
        return leaders.isEmpty() ? -1 : leaders.get(0);
    }

    private int awaitLeader(List<Leadership> leaderships, Duration atMost) {
        int[] leader = {-1};
        await(atMost).until(() -> (leader[0] = leaderAmong(leaderships)) >= 0);
        return leader[0];
    }

    private static void assertWellOrdered(List<LeadershipLog> logs) {
        for (LeadershipLog log : logs) {
            assertThat(log.problems())
                    .as("listener calls that overlapped or came out of order (S3)")
                    .isEmpty();
        }
    }

    @Test
    void S3_oneCampaignerLeadsAtATimeAndResigningHandsTheLeadOn() {
        String resource = resource();
        List<LockManager> managers = managers(3);
        List<LeadershipLog> logs = new ArrayList<>();
        List<Leadership> leaderships = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            LeadershipLog log = new LeadershipLog();
            logs.add(log);
            leaderships.add(campaign(managers.get(i), resource, client("campaigner" + i), longLease(), log));
        }
        int first = awaitLeader(leaderships, prompt().multipliedBy(3));
        await(prompt()).until(() -> logs.get(first).leadsByItsCalls());
        long end = System.nanoTime() + scaled(300).toNanos();
        while (System.nanoTime() < end) {
            assertThat(leaderAmong(leaderships))
                    .as("the leader, watched for a while")
                    .isEqualTo(first);
            sleepUntil(System.nanoTime() + scaled(20).toNanos());
        }
        Lease firstLease = leaderships.get(first).current().orElseThrow();
        assertThat(logs.get(first).electedTokens()).containsExactly(firstLease.fencingToken());
        for (int i = 0; i < 3; i++) {
            if (i != first) {
                assertThat(logs.get(i).elections())
                        .as("elections of campaigner %s, not the leader", i)
                        .isZero();
                assertThat(leaderships.get(i).current())
                        .as("current() of a campaigner that does not lead")
                        .isEmpty();
            }
        }

        leaderships.get(first).close();
        assertThat(leaderships.get(first).isLeader())
                .as("isLeader() after close()")
                .isFalse();
        assertThat(leaderships.get(first).current())
                .as("current() after close()")
                .isEmpty();
        List<LeadershipLog.Entry> resigned = logs.get(first).entries();
        assertThat(resigned)
                .as("what the resigned leader's listener was told by the time close() returned")
                .hasSize(2);
        assertLockError(resigned.get(1).cause(), LockError.LOCK_NOT_HELD);

        // A release hands the lock on at once: well within the (long) lease.
        int second = awaitLeader(leaderships, prompt().multipliedBy(2));
        assertThat(second).isNotEqualTo(first);
        await(prompt()).until(() -> logs.get(second).leadsByItsCalls());
        assertThat(logs.get(second).electedTokens().get(0))
                .as("the new leader's token against the old one's (F1)")
                .isGreaterThan(firstLease.fencingToken());
        assertWellOrdered(logs);
    }

    @Test
    void S3_aLeaderThatLosesItsLeaseIsRevokedAndTheCampaignGoesOn() {
        String resource = resource();
        InjectedFaults faults = new InjectedFaults();
        LockManager faulty = openWithFaults(faults);
        LockManager healthy = sharedLockSpace() ? open(Map.of()) : faulty;
        Duration lease = effective(scaled(1_000));
        LeadershipLog firstLog = new LeadershipLog();
        Leadership first = campaign(faulty, resource, client("first"), lease, firstLog);
        await(prompt().multipliedBy(2)).until(first::isLeader);
        long firstToken = first.current().orElseThrow().fencingToken();

        LeadershipLog secondLog = new LeadershipLog();
        Leadership second = campaign(healthy, resource, client("second"), lease, secondLog);
        // Its renewals now go unanswered: the lease is lost at its local deadline (K1-K3).
        faults.hangRenewals(resource);
        await(lease.multipliedBy(2).plus(prompt())).until(() -> firstLog.revocations() >= 1);
        assertLockError(firstLog.entries().get(1).cause(), LockError.LOCK_NOT_HELD);

        // The lost lease ends (released, or expired on the engine); the other campaigner, or the
        // first once more, leads, with a larger token.
        await(lease.multipliedBy(3).plus(prompt()))
                .until(() -> secondLog.elections() >= 1 || firstLog.elections() >= 2);
        faults.heal();
        if (secondLog.elections() >= 1) {
            assertThat(secondLog.electedTokens().get(0))
                    .as("the next leader's token (F1)")
                    .isGreaterThan(firstToken);
            second.close();
        } else {
            assertThat(firstLog.electedTokens().get(1))
                    .as("the re-elected leader's token (F1)")
                    .isGreaterThan(firstToken);
        }
        // Campaigning went on after the loss: with the rival gone, the first leads again.
        await(lease.multipliedBy(3).plus(prompt())).until(first::isLeader);
        List<Long> tokens = firstLog.electedTokens();
        assertThat(tokens.get(tokens.size() - 1))
                .as("the token of the first campaigner's later election (F1)")
                .isGreaterThan(firstToken);
        assertWellOrdered(List.of(firstLog, secondLog));
    }

    @Test
    void S3_closeResignsAndStopsCampaigning() {
        String resource = resource();
        List<LockManager> managers = managers(2);
        LeadershipLog leaderLog = new LeadershipLog();
        Leadership leader = campaign(managers.get(0), resource, client("leader"), longLease(), leaderLog);
        await(prompt().multipliedBy(2)).until(leader::isLeader);
        LeadershipLog quitterLog = new LeadershipLog();
        Leadership quitter = campaign(managers.get(1), resource, client("quitter"), longLease(), quitterLog);
        quitter.close();
        quitter.close(); // idempotent
        leader.close();
        assertFree(managers.get(0), resource);
        sleepUntil(System.nanoTime() + prompt().toNanos());
        assertThat(quitterLog.entries())
                .as("what a campaigner that resigned before it led was told")
                .isEmpty();
        assertThat(quitter.isLeader()).isFalse();
        assertFree(managers.get(0), resource);
        assertThat(campaignThreadsOf(resource))
                .as("campaign threads left after close()")
                .isEmpty();
        assertWellOrdered(List.of(leaderLog, quitterLog));
    }

    @Test
    void S3_closingTheManagerResignsItsCampaigns() {
        String resource = resource();
        LockManager leaving = open(Map.of());
        LeadershipLog log = new LeadershipLog();
        Leadership leadership = leaving.lead(resource, client("leaving"), longLease(), log);
        await(prompt().multipliedBy(2)).until(leadership::isLeader);
        leaving.close();
        assertThat(leadership.isLeader())
                .as("isLeader() after the manager closed")
                .isFalse();
        assertThat(log.revocations())
                .as("revocations told by the time close() returned (C1, S3)")
                .isEqualTo(1);
        assertThat(campaignThreadsOf(resource))
                .as("campaign threads left after close()")
                .isEmpty();
        if (sharedLockSpace()) {
            assertFree(open(Map.of()), resource);
        }
    }

    @Test
    void S3_invalidArgumentsAreRejectedByNameAndStartNothing() {
        LockManager manager = manager();
        String resource = resource();
        LeadershipLog log = new LeadershipLog();
        assertThat(catchThrowable(() -> manager.lead(resource, client("c"), longLease(), null)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("listener");
        assertThat(catchThrowable(() -> manager.lead(resource, client("c"), Duration.ZERO, log)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leaseTime");
        assertThat(catchThrowable(() -> manager.lead(null, client("c"), longLease(), log)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("resourceId");
        assertThat(catchThrowable(() -> manager.lead(resource, "", longLease(), log)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clientId");
        sleepUntil(System.nanoTime() + scaled(200).toNanos());
        assertFree(manager, resource);
        assertThat(log.entries()).isEmpty();
    }

    @Test
    void S3_aListenerThatThrowsDoesNotStopTheCampaign() {
        LockManager manager = manager();
        String resource = resource();
        LeadershipListener throwing = new LeadershipListener() {
            @Override
            public void elected(Lease lease) {
                throw LeadershipRules.<RuntimeException>sneaky(new Exception("a checked exception, undeclared"));
            }

            @Override
            public void revoked(LockException cause) {
                throw new IllegalStateException("a faulty listener");
            }
        };
        Leadership leadership = campaign(manager, resource, client("leader"), longLease(), throwing);
        await(prompt().multipliedBy(2)).until(leadership::isLeader);
        sleepUntil(System.nanoTime() + scaled(200).toNanos());
        assertThat(leadership.isLeader())
                .as("the lead after the listener threw")
                .isTrue();
        leadership.close();
        assertFree(manager, resource);
        assertThat(campaignThreadsOf(resource))
                .as("campaign threads left after close()")
                .isEmpty();
    }

    @Test
    void S3_releasingTheLeaseStepsDownAndTheCampaignGoesOn() {
        LockManager manager = manager();
        String resource = resource();
        LeadershipLog log = new LeadershipLog();
        boolean[] steppedDown = {false};
        LeadershipListener stepsDownOnce = new LeadershipListener() {
            @Override
            public void elected(Lease lease) {
                log.elected(lease);
                if (!steppedDown[0]) {
                    steppedDown[0] = true;
                    lease.release();
                }
            }

            @Override
            public void revoked(LockException cause) {
                log.revoked(cause);
            }
        };
        Leadership leadership = campaign(manager, resource, client("leader"), longLease(), stepsDownOnce);
        await(prompt().multipliedBy(3)).until(() -> log.elections() == 2 && leadership.isLeader());
        List<LeadershipLog.Entry> entries = log.entries();
        assertThat(entries)
                .as("elected, revoked on stepping down, elected again")
                .hasSizeGreaterThanOrEqualTo(3);
        assertLockError(entries.get(1).cause(), LockError.LOCK_NOT_HELD);
        assertThat(log.electedTokens().get(1))
                .as("the token of the second term (F1)")
                .isGreaterThan(log.electedTokens().get(0));
        assertWellOrdered(List.of(log));
    }

    @Test
    void S3_aLeaderStopsLeadingAtItsLocalDeadlineBeforeItHearsRevoked() throws Exception {
        String resource = resource();
        InjectedFaults faults = new InjectedFaults();
        LockManager faulty = openWithFaults(faults);
        faults.hangRenewals(resource);
        Duration lease = effective(scaled(1_000));
        LeadershipLog log = new LeadershipLog();
        java.util.concurrent.CountDownLatch electedReturns = new java.util.concurrent.CountDownLatch(1);
        LeadershipListener slow = new LeadershipListener() {
            @Override
            public void elected(Lease held) {
                log.elected(held);
                try {
                    // Busy with leader work: revoked cannot be told until this returns.
                    electedReturns.await(longLease().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void revoked(LockException cause) {
                log.revoked(cause);
            }
        };
        try {
            Leadership leadership = campaign(faulty, resource, client("leader"), lease, slow);
            await(prompt().multipliedBy(2)).until(() -> log.elections() == 1);
            long elected = log.entries().get(0).atNanos();
            await(lease.plus(expirySlack()).plus(prompt())).until(() -> !leadership.isLeader());
            assertThat(Duration.ofNanos(System.nanoTime() - elected))
                    .as("when isLeader() turned false, its renewals unanswered (K2)")
                    .isLessThan(lease.plus(expirySlack()).plus(prompt()));
            assertThat(leadership.current())
                    .as("current() past the local deadline")
                    .isEmpty();
            assertThat(log.revocations())
                    .as("revoked told while elected still runs")
                    .isZero();
        } finally {
            electedReturns.countDown();
        }
        await(prompt()).until(() -> log.revocations() == 1);
        assertWellOrdered(List.of(log));
    }

    @Test
    void S3_leadOnAClosedManagerIsRefused() {
        LockManager closed = open(Map.of());
        closed.close();
        assertThat(catchThrowable(() -> closed.lead(resource(), client("late"), longLease(), new LeadershipLog())))
                .as("lead() after close() (C1)")
                .isInstanceOf(IllegalStateException.class);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable checked) throws T {
        throw (T) checked;
    }

    private static List<Thread> campaignThreadsOf(String resource) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().endsWith(resource) && thread.isAlive())
                .toList();
    }
}
