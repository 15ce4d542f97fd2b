package io.dlm.spi;

/**
 * A backend as {@link java.util.ServiceLoader} discovers it: register the implementation in
 * {@code META-INF/services/io.dlm.spi.LockBackendProvider}.
 */
public interface LockBackendProvider {

    /**
     * The name users select the backend by ({@code memory}, {@code etcd}, ...). Settings of this
     * backend use the key prefix {@code dlm.<name>.}.
     *
     * @return a short, lower-case name, unique on the class path
     */
    String name();

    /**
     * Opens a backend instance: one lock space, with its own connections and threads.
     *
     * @param context the settings and services of the runtime
     * @return an open backend; the runtime closes it
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a)
     */
    LockBackend open(BackendContext context);
}
