package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LockRecordTest {

    @Test
    void roundTripsClientIdsWithLineBreaksAndAnyText() {
        LockRecord record = new LockRecord("line\nbreak\r\n 锁 \0 end", 1500, "0123456789abcdef0123456789abcdef");
        assertThat(LockRecord.decode("/p", record.encode())).isEqualTo(record);
    }

    @Test
    void isReadableText() {
        byte[] data = new LockRecord("c", 1000, "ab").encode();
        assertThat(new String(data, StandardCharsets.UTF_8)).isEqualTo("dlm1\n1000\nab\nc");
    }

    @Test
    void foreignDataIsNamedNotMisread() {
        for (String foreign :
                new String[] {"", "127.0.0.1", "dlm1\n", "dlm1\nx\nab\nc", "dlm1\n0\nab\nc", "dlm2\n1\nab\nc"}) {
            assertThatThrownBy(() -> LockRecord.decode("/dlm/locks/r", foreign.getBytes(StandardCharsets.UTF_8)))
                    .as("data %s", foreign)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/dlm/locks/r");
        }
    }
}
