package io.dlm.backend.etcd;

import io.dlm.LockException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Keeps two managers from using nested namespaces on one cluster (V1: distinct ids, distinct
 * locks).
 *
 * <p>A key is the namespace followed by the id, so when one namespace starts with another, two ids
 * share a key: {@code /a/} + {@code b/x} and {@code /a/b/} + {@code x} are both {@code /a/b/x}, and
 * the two locks would exclude each other and report each other's holders. Escaping ids cannot
 * prevent that without changing the keys of ids that contain the separator, such as {@code
 * orders/42}, which old and new managers of one cluster would then lock under two different keys
 * during a rolling upgrade. So keys stay as they are, and nesting is refused instead: before its
 * first acquisition, a manager registers its namespace under {@value #PREFIX} and reads the
 * registered ones, in one transaction; if one of them starts with the other, the acquisition fails
 * with an {@link IllegalArgumentException} that names {@code dlm.etcd.namespace}. etcd orders the
 * transactions, so of two managers that register nested namespaces at once, the later one sees the
 * earlier one. A manager that was refused removes the registration it made, so that the manager
 * already running is not refused at its next start.
 *
 * <p>Registrations are permanent (a few bytes per namespace): a namespace that is no longer used
 * is removed with {@code etcdctl del}. Without the right to read and write {@value #PREFIX} (an
 * etcd role that grants only the namespace), the check cannot be made: a warning says so once, and
 * locking goes on.
 */
final class NamespaceRegistry {

    /** Where namespaces are registered; no namespace may start with it or be a prefix of it. */
    static final String PREFIX = "dlm-namespaces/";

    private static final System.Logger LOG = System.getLogger(NamespaceRegistry.class.getName());

    private static final ByteSequence REGISTERED = ByteSequence.from("registered", StandardCharsets.UTF_8);

    private final String namespace;
    private final ByteSequence registration;
    private final Supplier<io.etcd.jetcd.KV> kv;

    /** Set once the check passed, or could not be made for lack of permission. */
    private volatile boolean checked;

    NamespaceRegistry(String namespace, Supplier<io.etcd.jetcd.KV> kv) {
        this.namespace = namespace;
        this.registration = ByteSequence.from(PREFIX + namespace, StandardCharsets.UTF_8);
        this.kv = kv;
    }

    /**
     * Tells whether a namespace may be used at all: it must keep clear of the registry's keys.
     *
     * @param namespace the configured namespace
     * @return whether a lock key could be a registry key
     */
    static boolean overlapsTheRegistry(String namespace) {
        return namespace.startsWith(PREFIX) || PREFIX.startsWith(namespace);
    }

    /**
     * Registers the namespace and checks that no registered one nests with it; after the first
     * success, returns at once.
     *
     * @param budget the calling operation's budget
     * @throws IllegalArgumentException naming {@code dlm.etcd.namespace} when namespaces nest
     * @throws LockException {@code INTERNAL_ERROR} when etcd could not be asked (tried again on the
     *     next call)
     */
    void check(OperationBudget budget) {
        if (checked) {
            return;
        }
        ByteSequence all = ByteSequence.from(PREFIX, StandardCharsets.UTF_8);
        GetOption everyRegistration =
                GetOption.builder().isPrefix(true).withKeysOnly(true).build();
        TxnResponse response;
        try {
            response = budget.await(
                    kv.get()
                            .txn()
                            .If(new Cmp(registration, Cmp.Op.EQUAL, CmpTarget.version(0)))
                            .Then(Op.put(registration, REGISTERED, PutOption.DEFAULT), Op.get(all, everyRegistration))
                            .Else(Op.get(all, everyRegistration))
                            .commit(),
                    "register the namespace");
        } catch (LockException e) {
            if (isPermissionDenied(e)) {
                LOG.log(
                        Level.WARNING,
                        "Cannot check that the etcd namespace {0} does not nest with another DLM namespace:"
                                + " the etcd user may not read and write the keys under {1}. Grant that, or make"
                                + " sure that no namespace starts with another.",
                        namespace,
                        PREFIX);
                checked = true;
                return;
            }
            throw e;
        }
        List<String> nested = new ArrayList<>();
        for (KeyValue registered : response.getGetResponses().get(0).getKvs()) {
            String other = registered.getKey().toString(StandardCharsets.UTF_8).substring(PREFIX.length());
            if (!other.equals(namespace) && (other.startsWith(namespace) || namespace.startsWith(other))) {
                nested.add(other);
            }
        }
        if (nested.isEmpty()) {
            checked = true;
            return;
        }
        if (response.isSucceeded()) {
            // Registered just now: take it back, so the manager that uses the other namespace is
            // not refused at its next start because of this one.
            kv.get().delete(registration, DeleteOption.DEFAULT).exceptionally(failure -> null);
        }
        throw new IllegalArgumentException(EtcdSettings.NAMESPACE + " '" + namespace + "' nests with the namespace"
                + (nested.size() > 1 ? "s " : " ") + quoted(nested) + " that another DLM manager registered on this"
                + " etcd cluster: one starts with the other, so their locks could share keys ('/a/' + 'b/x' is"
                + " '/a/b/' + 'x'). Use namespaces neither of which starts with the other; if a namespace is no"
                + " longer used, delete its registration, the key '" + PREFIX + "<namespace>'.");
    }

    /**
     * Reads the registered namespaces that start with this one and are longer, for a listing (O4):
     * their keys lie among this namespace's keys ({@code /a/} + {@code b/x} is the key {@code
     * /a/b/x} of {@code /a/b/}), but belong to another manager's lock space, so a listing skips
     * them. They can exist only if they were registered while this namespace was not (a listing
     * does not register: it takes no locks), or by a manager from before the check.
     *
     * @return the key prefixes of the nested namespaces; none when the etcd user may not read the
     *     registry (then a warning says that keys of nested namespaces may be listed); fails on
     *     other engine errors
     */
    CompletableFuture<List<ByteSequence>> nestedNamespaces() {
        GetOption everyRegistration =
                GetOption.builder().isPrefix(true).withKeysOnly(true).build();
        return kv.get()
                .get(ByteSequence.from(PREFIX, StandardCharsets.UTF_8), everyRegistration)
                .handle((response, failure) -> {
                    if (failure != null) {
                        if (!isPermissionDenied(failure)) {
                            throw failure instanceof CompletionException known
                                    ? known
                                    : new CompletionException(failure);
                        }
                        LOG.log(
                                Level.WARNING,
                                "Cannot read the DLM namespaces registered under {0}: the etcd user may not read"
                                        + " them. A listing of {1} then also shows the locks of any namespace"
                                        + " that starts with it.",
                                PREFIX,
                                namespace);
                        return List.of();
                    }
                    List<ByteSequence> nested = new ArrayList<>();
                    for (KeyValue registered : response.getKvs()) {
                        String other = registered
                                .getKey()
                                .toString(StandardCharsets.UTF_8)
                                .substring(PREFIX.length());
                        if (other.length() > namespace.length() && other.startsWith(namespace)) {
                            nested.add(ByteSequence.from(other, StandardCharsets.UTF_8));
                        }
                    }
                    return nested;
                });
    }

    private static String quoted(List<String> namespaces) {
        return Arrays.toString(namespaces.stream().map(n -> "'" + n + "'").toArray());
    }

    private static boolean isPermissionDenied(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (Status.fromThrowable(t).getCode() == Status.Code.PERMISSION_DENIED) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && message.contains("permission denied")) {
                return true;
            }
        }
        return false;
    }
}
