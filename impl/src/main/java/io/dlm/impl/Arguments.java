package io.dlm.impl;

import java.time.Duration;

/** Argument checks of rules V1 and V2, done before anything else so that bad input changes nothing. */
final class Arguments {

    /** The longest id, in UTF-16 chars (V1). */
    static final int MAX_ID_LENGTH = 1024;

    private Arguments() {}

    /**
     * Checks an id (V1): non-null, non-empty, at most 1024 chars, no unpaired surrogate.
     *
     * @param name the parameter's name, as the signature spells it
     * @param id the value
     * @return the id
     */
    static String id(String name, String id) {
        if (id == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        int length = id.length();
        if (length == 0) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        if (length > MAX_ID_LENGTH) {
            throw new IllegalArgumentException(
                    name + " is " + length + " chars long; at most " + MAX_ID_LENGTH + " are allowed");
        }
        for (int i = 0; i < length; i++) {
            char c = id.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(id.charAt(i + 1))) {
                    i++;
                } else {
                    throw new IllegalArgumentException(name + " has an unpaired surrogate at index " + i);
                }
            }
        }
        return id;
    }

    /**
     * Checks a timeout in milliseconds (V2).
     *
     * @param timeoutMillis the value
     */
    static void timeoutMillis(long timeoutMillis) {
        if (timeoutMillis < 0) {
            throw new IllegalArgumentException("timeoutMillis must not be negative, was " + timeoutMillis);
        }
    }

    /**
     * Checks a wait (V2): non-null, not negative.
     *
     * @param wait the value
     */
    static void waitDuration(Duration wait) {
        if (wait == null) {
            throw new IllegalArgumentException("wait must not be null");
        }
        if (wait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative, was " + wait);
        }
    }

    /**
     * Checks a lease length (V2): non-null, positive.
     *
     * @param leaseTime the value
     */
    static void leaseTime(Duration leaseTime) {
        if (leaseTime == null) {
            throw new IllegalArgumentException("leaseTime must not be null");
        }
        if (leaseTime.isZero() || leaseTime.isNegative()) {
            throw new IllegalArgumentException("leaseTime must be positive, was " + leaseTime);
        }
    }

    /**
     * Checks how long a lock is held at least (V2): non-null, not negative.
     *
     * @param holdAtLeast the value
     */
    static void holdAtLeast(Duration holdAtLeast) {
        if (holdAtLeast == null) {
            throw new IllegalArgumentException("holdAtLeast must not be null");
        }
        if (holdAtLeast.isNegative()) {
            throw new IllegalArgumentException("holdAtLeast must not be negative, was " + holdAtLeast);
        }
    }

    /**
     * Checks a value that must be given.
     *
     * @param name the parameter's name, as the signature spells it
     * @param value the value
     */
    static void present(String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }
}
