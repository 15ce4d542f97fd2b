package io.dlm.benchmarks.cdi;

import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds {@link PassThroughInterceptor}, an interceptor that only proceeds: it prices Weld's own
 * interception machinery, which {@code @DistributedLock} pays before DLM's code runs.
 */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface PassThrough {}
