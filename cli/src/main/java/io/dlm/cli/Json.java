package io.dlm.cli;

import io.dlm.LockInfo;
import java.time.Instant;
import java.util.List;

/** The {@code --json} output: one JSON object per lock or event, written by hand to stay dependency-free. */
final class Json {

    private Json() {}

    /**
     * A held lock: {@code {"resourceId":..,"held":true,"clientId":..,"fencingToken":..,"remainingMillis":..}}.
     *
     * @param lock the lock
     * @return the object
     */
    static String held(LockInfo lock) {
        return lock("held", lock);
    }

    /**
     * A lock that was broken: as {@link #held}, with {@code "released":true} instead.
     *
     * @param lock the lock as it was
     * @return the object
     */
    static String released(LockInfo lock) {
        return lock("released", lock);
    }

    private static String lock(String flag, LockInfo lock) {
        return "{\"resourceId\":" + string(lock.resourceId()) + ",\"" + flag + "\":true,\"clientId\":"
                + string(lock.clientId()) + ",\"fencingToken\":" + lock.fencingToken() + ",\"remainingMillis\":"
                + lock.remaining().toMillis() + "}";
    }

    /**
     * A free resource: {@code {"resourceId":..,"held":false}}.
     *
     * @param resourceId the resource
     * @return the object
     */
    static String free(String resourceId) {
        return "{\"resourceId\":" + string(resourceId) + ",\"held\":false}";
    }

    /**
     * A list of locks: {@code {"locks":[...],"truncated":..}}.
     *
     * @param locks the locks
     * @param truncated whether more exist than were listed
     * @return the object
     */
    static String list(List<LockInfo> locks, boolean truncated) {
        StringBuilder out = new StringBuilder("{\"locks\":[");
        for (int i = 0; i < locks.size(); i++) {
            out.append(i == 0 ? "" : ",").append(held(locks.get(i)));
        }
        return out.append("],\"truncated\":").append(truncated).append('}').toString();
    }

    /**
     * An object with a leading {@code "at"} member, e.g. a watch event.
     *
     * @param at when it happened
     * @param object a JSON object
     * @return the object with {@code "at"} first
     */
    static String at(Instant at, String object) {
        return "{\"at\":" + string(at.toString()) + "," + object.substring(1);
    }

    /**
     * A JSON string literal.
     *
     * @param text any text
     * @return it quoted and escaped
     */
    static String string(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
