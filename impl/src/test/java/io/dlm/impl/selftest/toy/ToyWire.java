package io.dlm.impl.selftest.toy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How ids travel in the toy protocol: Base64 URL of their UTF-8, so spaces, newlines and any other
 * character (V1) never break a line or a field.
 */
final class ToyWire {

    private ToyWire() {}

    static String encode(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String field) {
        return new String(Base64.getUrlDecoder().decode(field), StandardCharsets.UTF_8);
    }
}
