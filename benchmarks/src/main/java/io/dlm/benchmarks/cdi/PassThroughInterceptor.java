package io.dlm.benchmarks.cdi;

import jakarta.annotation.Priority;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import org.jspecify.annotations.Nullable;

/** Proceeds and nothing else; bound by {@link PassThrough}, at DLM's default priority. */
@Interceptor
@PassThrough
@Priority(Interceptor.Priority.PLATFORM_AFTER + 100)
public class PassThroughInterceptor {

    /** Creates the interceptor; Weld calls it. */
    public PassThroughInterceptor() {}

    /**
     * Proceeds.
     *
     * @param invocation the call
     * @return the method's result
     * @throws Exception what the method threw
     */
    @AroundInvoke
    public @Nullable Object proceed(InvocationContext invocation) throws Exception {
        return invocation.proceed();
    }
}
