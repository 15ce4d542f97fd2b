package io.dlm.tck.jvm;

import io.dlm.tck.fault.FencedStore;
import io.dlm.tck.fault.History;
import io.dlm.tck.jvm.LeaderJournal.Entry;
import io.dlm.tck.jvm.LeaderJournal.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Campaigning JVMs (S3), each running {@link LockClientMain} in {@code lead} mode with a {@link
 * LeaderJournal} of its own, and what their journals say: who leads, who was elected or revoked
 * when, and every step of the leaders' work. The test drives them (kill, pause, resume) by client
 * id; closing kills those still running.
 */
final class Campaigners implements AutoCloseable {

    /** How often an await reads the journals again. */
    private static final long POLL_MILLIS = 20;

    /** One leadership as a journal shows it. */
    record Term(String client, long token, long electedAt) {}

    private final Map<String, ForkedJvm> jvms = new LinkedHashMap<>();
    private final Map<String, Path> journals = new LinkedHashMap<>();

    private Campaigners() {}

    /**
     * Starts one JVM per client.
     *
     * @param clients the client ids
     * @param dir where the journals go
     * @param arguments the arguments of {@link LockClientMain} for a client and its journal
     */
    static Campaigners start(List<String> clients, Path dir, BiFunction<String, Path, List<String>> arguments)
            throws IOException {
        Campaigners campaigners = new Campaigners();
        try {
            for (String client : clients) {
                Path journal = dir.resolve(client + ".journal");
                campaigners.journals.put(client, journal);
                campaigners.jvms.put(client, ForkedJvm.start(LockClientMain.class, arguments.apply(client, journal)));
            }
        } catch (IOException | RuntimeException e) {
            campaigners.close();
            throw e;
        }
        return campaigners;
    }

    /** Waits until every JVM has begun its campaign. */
    void awaitCampaigning(Duration timeout) throws InterruptedException {
        for (ForkedJvm jvm : jvms.values()) {
            jvm.awaitLine("CAMPAIGNING", timeout);
        }
    }

    /** Kills a campaigner's JVM with {@code SIGKILL}. */
    void kill(String client) throws InterruptedException {
        jvms.get(client).kill();
    }

    /** Stops every thread of a campaigner's JVM with {@code SIGSTOP}. */
    void pause(String client) throws IOException, InterruptedException {
        jvms.get(client).pause();
    }

    /** Lets a paused campaigner's JVM run again. */
    void resume(String client) throws IOException, InterruptedException {
        jvms.get(client).resume();
    }

    /**
     * Every journal's complete lines so far.
     *
     * @return the entries of all campaigners, each journal in its own order
     */
    List<Entry> entries() {
        List<Entry> all = new ArrayList<>();
        journals.forEach((client, file) -> {
            try {
                all.addAll(LeaderJournal.read(client, file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return all;
    }

    /**
     * The leader among {@code among} by the journals: of those whose last election was not
     * followed by a revocation, the one elected last. A campaigner revoked by its local deadline
     * may write its revocation only after the next leader wrote its election, so two can look
     * elected for a moment; the later is the leader.
     */
    Optional<Term> leader(Set<String> among) {
        Map<String, Term> elected = new LinkedHashMap<>();
        for (Entry entry : entries()) {
            if (!among.contains(entry.client())) {
                continue;
            }
            if (entry.kind() == Kind.ELECTED) {
                elected.put(entry.client(), new Term(entry.client(), entry.token(), entry.at()));
            } else if (entry.kind() == Kind.REVOKED) {
                elected.remove(entry.client());
            }
        }
        return elected.values().stream().max(Comparator.comparingLong(Term::electedAt));
    }

    /**
     * Waits for a leader among {@code among} that has led for at least {@code settled} and worked
     * with its lease meanwhile: its lease was renewed by then, so its loss later is a renewed
     * lease's.
     */
    Term awaitSettledLeader(Set<String> among, Duration settled, Duration timeout) throws InterruptedException {
        return await(
                "S3: a leader among " + among + " for at least " + settled,
                timeout,
                () -> leader(among)
                        .filter(term -> System.nanoTime() - term.electedAt() >= settled.toNanos())
                        .filter(term -> acts(term.client(), term.token(), term.electedAt()) > 0));
    }

    /** Waits for the first election among {@code among} after {@code after}; {@code what} it is, for the message. */
    Term awaitElectedAfter(String what, long after, Set<String> among, Duration timeout) throws InterruptedException {
        return await(
                what + " (among " + among + ")",
                timeout,
                () -> entries().stream()
                        .filter(e -> e.kind() == Kind.ELECTED && among.contains(e.client()) && e.at() > after)
                        .min(Comparator.comparingLong(Entry::at))
                        .map(e -> new Term(e.client(), e.token(), e.at())));
    }

    /** Waits until {@code client} journals a revocation of {@code token} after {@code after}. */
    long awaitRevoked(String client, long token, long after, Duration timeout) throws InterruptedException {
        return await(
                        "S3: the revocation of " + client + "'s token " + token,
                        timeout,
                        () -> entries().stream()
                                .filter(e ->
                                        e.kind() == Kind.REVOKED && e.client().equals(client))
                                .filter(e -> e.token() == token && e.at() > after)
                                .findFirst())
                .at();
    }

    /**
     * Waits until the campaigners in {@code among} journal {@code count} steps of work begun after
     * {@code after}, whatever their tokens: the time a misbehaving campaigner would need to show.
     */
    void awaitActs(Set<String> among, long after, int count, Duration timeout) throws InterruptedException {
        await(
                "S3: " + count + " steps of work by " + among,
                timeout,
                () -> Optional.of(among)
                        .filter(clients -> entries().stream()
                                        .filter(e ->
                                                e.kind() == Kind.ACT && clients.contains(e.client()) && e.at() > after)
                                        .count()
                                >= count));
    }

    private long acts(String client, long token, long after) {
        return entries().stream()
                .filter(e -> e.kind() == Kind.ACT && e.client().equals(client))
                .filter(e -> e.token() == token && e.at() > after)
                .count();
    }

    private <T> T await(String what, Duration timeout, Supplier<Optional<T>> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (; ; ) {
            Optional<T> found = condition.get();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("Not within " + timeout + ": " + what + "; " + describe());
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Each JVM's output and journal, briefly, for a failure message. */
    String describe() {
        StringBuilder text = new StringBuilder();
        List<Entry> entries = entries();
        jvms.forEach((client, jvm) -> {
            List<Entry> own =
                    entries.stream().filter(e -> e.client().equals(client)).toList();
            long acts = own.stream().filter(e -> e.kind() == Kind.ACT).count();
            text.append("\n  ")
                    .append(client)
                    .append(": ")
                    .append(own.stream().filter(e -> e.kind() != Kind.ACT).toList())
                    .append(", ")
                    .append(acts)
                    .append(" steps; output ")
                    .append(jvm.output());
        });
        return text.toString();
    }

    /**
     * Adds what the journals show to a fault history (SPEC "Faults"): elections and revocations
     * as instants, and each step of work as a critical section written to a {@link FencedStore},
     * the writes taken in the order the steps began. A step whose lease was valid when it began
     * and after it ended is then a section valid throughout; the checker reports two such sections
     * of different clients that overlap (M1), and such a section whose write the store rejected
     * because a larger token wrote before it (M3).
     */
    void record(History history, String resource) {
        List<Entry> entries = entries();
        FencedStore store = new FencedStore();
        entries.stream().sorted(Comparator.comparingLong(Entry::at)).forEach(e -> {
            switch (e.kind()) {
                case ELECTED, REVOKED ->
                    history.reported(
                            e.client(),
                            e.kind() == Kind.ELECTED ? "elected" : "revoked",
                            resource,
                            e.at(),
                            e.at(),
                            e.kind() == Kind.ELECTED ? "elected" : "revoked",
                            e.token());
                case ACT ->
                    history.section(
                            e.client(),
                            resource,
                            e.token(),
                            true,
                            e.validFrom(),
                            store.write(resource, e.token()),
                            e.validAfter(),
                            e.validTo());
            }
        });
    }

    /** Kills every JVM still running, paused ones included. */
    @Override
    public void close() {
        jvms.values().forEach(ForkedJvm::close);
    }
}
