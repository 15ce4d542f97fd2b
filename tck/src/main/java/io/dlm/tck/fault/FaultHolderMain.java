package io.dlm.tck.fault;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The program a forked holder JVM runs in the fault tier: a lock client driven line by line over
 * its standard input, so that a test can pause it with {@code SIGSTOP} between two steps (N2).
 *
 * <p>Arguments: {@code <backend> [key=value ...]}, the manager's settings. It prints {@code READY}
 * once the manager is open and has answered a first call (retried while it fails with {@code
 * INTERNAL_ERROR}, for up to 20 s: a new JVM loads and connects its client then), then answers each command with one line whose times are this JVM's
 * {@link System#nanoTime()} (one clock for every JVM on a Linux host):
 *
 * <ul>
 *   <li>{@code acquire <resource> <leaseMillis> <waitMillis>}: {@code ACQUIRED <token> <calledAt>
 *       <returnedAt>} (the lease is then kept alive) or {@code NOT_ACQUIRED <calledAt> <returnedAt>};
 *   <li>{@code check}: {@code VALID <true|false> <calledAt> <returnedAt>};
 *   <li>{@code renew}: {@code RENEWED <true|false> <calledAt> <returnedAt>};
 *   <li>{@code release}: {@code RELEASED <true|false> <calledAt> <returnedAt>};
 *   <li>{@code lost}: {@code LOST <nanoTime of the loss, or -1>};
 *   <li>{@code exit}: closes the manager and ends the JVM.
 * </ul>
 *
 * A call that throws answers {@code ERROR <exception class> <calledAt> <returnedAt>}.
 */
public final class FaultHolderMain {

    private FaultHolderMain() {}

    /**
     * Runs the holder until {@code exit} or the end of its input.
     *
     * @param args the backend's name, then its settings as {@code key=value}
     * @throws Exception when the manager cannot be opened or the input cannot be read
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> properties = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            properties.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try (LockManager manager = LockManagers.open(args[0], properties)) {
            new FaultHolderMain().serve(manager);
        }
    }

    private Lease lease;

    /**
     * Makes a first call, so that the test's first command is not the one that loads the client's
     * classes and opens its connections: on a busy machine that alone can take longer than the
     * tier's operation timeout.
     */
    private static void warmUp(LockManager manager) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (; ; ) {
            try {
                manager.inspect("fault-holder-warm-up");
                return;
            } catch (LockException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private final AtomicLong lostAt = new AtomicLong(-1);

    private void serve(LockManager manager) throws Exception {
        warmUp(manager);
        System.out.println("READY");
        System.out.flush();
        BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = input.readLine()) != null && !line.equals("exit")) {
            String[] words = line.split(" ");
            long calledAt = System.nanoTime();
            String reply;
            try {
                reply = answer(manager, words, calledAt);
            } catch (LockException | IllegalStateException e) {
                reply = "ERROR " + e.getClass().getSimpleName() + " " + calledAt + " " + System.nanoTime();
            }
            System.out.println(reply);
            System.out.flush();
        }
    }

    private String answer(LockManager manager, String[] words, long calledAt) {
        switch (words[0]) {
            case "acquire":
                Optional<Lease> acquired = manager.tryAcquire(
                        words[1],
                        "forked-holder",
                        Duration.ofMillis(Long.parseLong(words[3])),
                        Duration.ofMillis(Long.parseLong(words[2])));
                long returnedAt = System.nanoTime();
                if (acquired.isEmpty()) {
                    return "NOT_ACQUIRED " + calledAt + " " + returnedAt;
                }
                lease = acquired.get().keepAlive();
                lease.lost().thenRun(() -> lostAt.compareAndSet(-1, System.nanoTime()));
                return "ACQUIRED " + lease.fencingToken() + " " + calledAt + " " + returnedAt;
            case "check":
                boolean valid = lease.isValid();
                return "VALID " + valid + " " + calledAt + " " + System.nanoTime();
            case "renew":
                boolean renewed = lease.renew();
                return "RENEWED " + renewed + " " + calledAt + " " + System.nanoTime();
            case "release":
                boolean released = lease.release();
                return "RELEASED " + released + " " + calledAt + " " + System.nanoTime();
            case "lost":
                return "LOST " + lostAt.get();
            default:
                throw new IllegalStateException("unknown command " + words[0]);
        }
    }
}
