package io.dlm.backend.jdbc;

import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.spi.InitialContextFactory;

/**
 * A JNDI provider for tests, standing in for a Jakarta EE server's naming service: names bound in
 * {@link #BINDINGS} are what {@code new InitialContext().lookup(name)} finds. Selected with the
 * system property {@code java.naming.factory.initial}.
 */
public final class TestNaming implements InitialContextFactory {

    static final Map<String, Object> BINDINGS = new ConcurrentHashMap<>();

    /** Created by {@link javax.naming.InitialContext} through the system property. */
    public TestNaming() {}

    @Override
    public Context getInitialContext(Hashtable<?, ?> environment) {
        return (Context) Proxy.newProxyInstance(
                TestNaming.class.getClassLoader(), new Class<?>[] {Context.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "lookup" -> {
                            Object bound = BINDINGS.get(String.valueOf(args[0]));
                            if (bound == null) {
                                throw new NameNotFoundException(args[0] + " is not bound");
                            }
                            return bound;
                        }
                        case "close" -> {
                            return null;
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
