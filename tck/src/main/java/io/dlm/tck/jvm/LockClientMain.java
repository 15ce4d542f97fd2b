package io.dlm.tck.jvm;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The program a {@link ForkedJvm} runs: a lock client of a backend named on the command line.
 *
 * <p>Usage: {@code hold <backend> <resource> <client> <leaseMillis> [key=value ...]} acquires the
 * resource, prints {@code ACQUIRED <token>} and then waits to be killed, never heartbeating; and
 * {@code count <backend> <resource> <client> <iterations> <counterFile> [key=value ...]} locks the
 * resource {@code iterations} times, each time incrementing a number in {@code counterFile} by a
 * non-atomic read and write, printing {@code TOKEN <token>} per acquisition and {@code DONE} at
 * the end (M1 across processes); and {@code lead <backend> <resource> <client> <leaseMillis>
 * <journalFile> [key=value ...]} campaigns for the resource's leadership and works while it leads,
 * writing each election, revocation and step of work to {@code journalFile} ({@link ActingLeader},
 * {@link LeaderJournal}), and prints {@code CAMPAIGNING} once its manager has answered a first call
 * and the campaign began (S3 across processes); and {@code schedule <backend> <resource> <client>
 * <holdAtLeastMillis> <journalFile> [key=value ...]} prints {@code READY <currentTimeMillis>
 * <nanoTime>} once its manager has answered a first call, so that the test can tell how far this
 * JVM's wall clock is off, then reads {@code START <firstTick> <ticks>} from its standard input and
 * runs a {@link ScheduledJob} on those whole seconds of its own clock, writing each tick to {@code
 * journalFile} ({@link TickJournal}), and prints {@code DONE} after the last (S1, S2 across
 * processes whose clocks differ).
 */
public final class LockClientMain {

    private LockClientMain() {}

    /**
     * Runs one client.
     *
     * @param args see the class description
     * @throws Exception on any failure, which ends the JVM with a non-zero status
     */
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String backend = args[1];
        String resource = args[2];
        String client = args[3];
        int firstProperty = mode.equals("hold") ? 5 : 6;
        Map<String, String> properties = new HashMap<>();
        for (int i = firstProperty; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        LockManager manager = LockManagers.open(backend, properties);
        if (mode.equals("hold")) {
            hold(manager, resource, client, Long.parseLong(args[4]));
        } else if (mode.equals("lead")) {
            warmUp(manager, resource);
            ActingLeader.run(
                    manager,
                    resource,
                    client,
                    Duration.ofMillis(Long.parseLong(args[4])),
                    LeaderJournal.append(Path.of(args[5])));
        } else if (mode.equals("schedule")) {
            warmUp(manager, resource);
            schedule(manager, resource, client, Duration.ofMillis(Long.parseLong(args[4])), Path.of(args[5]));
            manager.close();
        } else {
            count(manager, resource, client, Integer.parseInt(args[4]), Path.of(args[5]));
            manager.close();
        }
    }

    private static void hold(LockManager manager, String resource, String client, long leaseMillis)
            throws InterruptedException {
        Optional<Lease> lease =
                manager.tryAcquire(resource, client, Duration.ofSeconds(60), Duration.ofMillis(leaseMillis));
        if (lease.isEmpty()) {
            System.out.println("TIMEOUT");
            System.exit(2);
        }
        System.out.println("ACQUIRED " + lease.get().fencingToken());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE); // held until the test kills this JVM
    }

    /**
     * Makes a first call, retried while the engine is not reachable yet, so that a campaign does
     * not start long after the others while this JVM loads its client and connects.
     */
    private static void warmUp(LockManager manager, String resource) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        for (; ; ) {
            try {
                manager.inspect(resource);
                return;
            } catch (LockException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static void schedule(
            LockManager manager, String resource, String client, Duration holdAtLeast, Path journalFile)
            throws IOException, InterruptedException {
        // Both readings at once: the monotonic clock is the same for every process on the host.
        System.out.println("READY " + System.currentTimeMillis() + " " + System.nanoTime());
        System.out.flush();
        BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String[] start = input.readLine().split(" ");
        if (!start[0].equals("START")) {
            throw new IllegalStateException("expected START <firstTick> <ticks>, not " + String.join(" ", start));
        }
        try (TickJournal journal = TickJournal.append(journalFile)) {
            ScheduledJob.run(
                    manager,
                    resource,
                    client,
                    holdAtLeast,
                    Long.parseLong(start[1]),
                    Integer.parseInt(start[2]),
                    journal);
        }
        System.out.println("DONE");
        System.out.flush();
    }

    private static void count(LockManager manager, String resource, String client, int iterations, Path counter) {
        for (int i = 0; i < iterations; i++) {
            Lease lease = manager.tryAcquire(resource, client, Duration.ofSeconds(60), Duration.ofSeconds(30))
                    .orElseThrow(() -> new IllegalStateException("not acquired within 60 s"));
            try {
                System.out.println("TOKEN " + lease.fencingToken());
                int value = Integer.parseInt(read(counter).trim());
                Thread.yield(); // widen the window in which a second holder would lose an update
                write(counter, Integer.toString(value + 1));
            } finally {
                lease.close();
            }
        }
        System.out.println("DONE");
        System.out.flush();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
