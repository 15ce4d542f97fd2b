package io.dlm.impl.selftest.toy;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import java.net.InetSocketAddress;

/**
 * Provides the {@code toy} backend, a client of {@link ToyLockServer}. Settings: {@code
 * dlm.toy.address} ({@code host:port}, required) and {@code dlm.toy.flaw} ({@code none}, the
 * default, {@code held-during-partition} or {@code timeout-per-round-trip}).
 */
public final class ToyLockBackendProvider implements LockBackendProvider {

    /** The provider name, {@code toy}. */
    public static final String NAME = "toy";

    /** Key of the engine's address. */
    public static final String ADDRESS = "dlm.toy.address";

    /** Key of the client-side flaw. */
    public static final String FLAW = "dlm.toy.flaw";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public ToyLockBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LockBackend open(BackendContext context) {
        String flaw = context.property(FLAW).orElse("none").trim();
        if (!flaw.equals("none") && !flaw.equals("held-during-partition") && !flaw.equals("timeout-per-round-trip")) {
            throw new IllegalArgumentException("Invalid value '" + flaw + "' for " + FLAW
                    + ": expected none, held-during-partition or timeout-per-round-trip");
        }
        return new ToyLockBackend(
                address(context),
                context.operationTimeout(),
                flaw.equals("held-during-partition"),
                flaw.equals("timeout-per-round-trip"));
    }

    private static InetSocketAddress address(BackendContext context) {
        String value = context.property(ADDRESS)
                .orElseThrow(() -> new IllegalArgumentException(ADDRESS + " is required (host:port)"));
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1).trim());
            if (colon <= 0 || port < 1 || port > 65_535) {
                throw new NumberFormatException(value);
            }
            return new InetSocketAddress(value.substring(0, colon).trim(), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "Invalid value '" + value + "' for " + ADDRESS + ": expected host:port", e);
        }
    }
}
